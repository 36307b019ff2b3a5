"""The SFTP layer's own error, and the errors paramiko raises for a failed transfer."""

from __future__ import annotations

import paramiko

from dps_assets.core.privacy.errors import ExchangeError

TRANSFER_ERRORS = (OSError, EOFError, paramiko.SSHException)


class SftpError(ExchangeError, RuntimeError):
    """Connecting to, or working on, the SFTP server failed. The message says where and why."""



class HostKeyError(SftpError):
    """The server's host key is missing from known_hosts or differs from the pinned one: nothing
    is sent, and retrying cannot help."""
