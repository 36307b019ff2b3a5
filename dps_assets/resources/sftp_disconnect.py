"""Ending an SSH connection the way OpenSSH expects: SSH_MSG_DISCONNECT, then the server closes.

paramiko (5.1) has no public way to say goodbye: `SSHClient.close()` closes the socket at once,
often with the server's last packets unread, so the kernel resets the connection and DPS's sshd
logs "Connection reset by peer" for nearly every sensor tick, an error line on their side every
minute that hides real ones. So the client sends SSH_MSG_DISCONNECT (reason 11, by application),
waits (bounded) for the server to close its end, which ends paramiko's transport thread, and
only then closes."""

from __future__ import annotations

import paramiko
from paramiko.common import cMSG_DISCONNECT
from paramiko.message import Message

DISCONNECT_BY_APPLICATION = 11


def disconnect(client: paramiko.SSHClient, timeout_s: float) -> None:
    transport = client.get_transport()
    if transport is not None and transport.is_active():
        goodbye = Message()
        goodbye.add_byte(cMSG_DISCONNECT)
        goodbye.add_int(DISCONNECT_BY_APPLICATION)
        goodbye.add_string("done")
        goodbye.add_string("")
        try:
            # no public API for it (see above); types-paramiko leaves the private method out
            transport._send_user_message(goodbye)  # type: ignore[attr-defined]
            transport.join(timeout_s)  # its thread ends when the server has closed the connection
        except (OSError, EOFError, paramiko.SSHException):
            pass  # a broken connection is closed all the same, below
    client.close()
