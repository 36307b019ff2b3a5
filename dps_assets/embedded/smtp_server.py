"""The demo stack's stand-in for the agency's SMTP relay: aiosmtpd, keeping every message it
receives as an .eml file (0600) in a mailbox folder (0700).

    python -m dps_assets.embedded.smtp_server --mailbox DIR [--port N]
        [--accept-delay-s S] [--quit-reply "421 ..."]

Listens on 127.0.0.1 only; prints `READY port=<port>` when it accepts connections. The two
options make it behave like a troubled relay, for tests: take S seconds to accept each message
(after it is safely in the mailbox), or answer QUIT with an error after accepting the message."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from dps_assets.embedded.process import ReadyProcess, start_ready_process

HOST = "127.0.0.1"


class MailboxHandler:
    """Saves each message as `<UTC time>_<n>.eml`, written atomically."""

    def __init__(self, mailbox: Path, accept_delay_s: float = 0, quit_reply: str | None = None):
        self.mailbox = mailbox
        self.accept_delay_s, self.quit_reply = accept_delay_s, quit_reply
        self._count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's handler API
        with self._lock:
            self._count += 1
            number = self._count
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        final = self.mailbox / f"{stamp}_{number:04d}.eml"
        temporary = final.with_name(f".{final.name}.partial")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as sink:
            sink.write(envelope.original_content or envelope.content)
        os.replace(temporary, final)
        if self.accept_delay_s:
            await asyncio.sleep(self.accept_delay_s)  # a slow relay, not a synchronisation
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler API
        return self.quit_reply if self.quit_reply else "221 Bye"


def read_mailbox(mailbox: Path) -> list[EmailMessage]:
    """Messages received so far, oldest first."""
    return [message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(mailbox.glob("*.eml"))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def serve(mailbox: Path, port: int, accept_delay_s: float = 0, quit_reply: str | None = None) -> None:
    mailbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    # aiosmtpd checks readiness by connecting to the port it was given, so 0 cannot be passed on.
    controller = Controller(MailboxHandler(mailbox, accept_delay_s, quit_reply), hostname=HOST,
                            port=port or _free_port())
    controller.start()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(f"READY port={controller.port}", flush=True)
    stop.wait()
    controller.stop()


def start_smtp_server(mailbox: Path, port: int = 0, accept_delay_s: float = 0,
                      quit_reply: str | None = None) -> ReadyProcess:
    faults = ["--accept-delay-s", str(accept_delay_s)] + (["--quit-reply", quit_reply] if quit_reply else [])
    return start_ready_process(
        [sys.executable, "-m", "dps_assets.embedded.smtp_server", "--mailbox", mailbox, "--port", str(port),
         *faults],
        name="embedded SMTP server",
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailbox", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--accept-delay-s", type=float, default=0)
    parser.add_argument("--quit-reply", default=None)
    args = parser.parse_args(argv)
    serve(args.mailbox, args.port, args.accept_delay_s, args.quit_reply)


if __name__ == "__main__":
    main()
