"""An SMTP relay that keeps its answer to DATA until the test lets it go.

Each message is in the relay's mailbox (an .eml file, as the embedded relay keeps them) before
the relay says anything about it; the sender then waits for the 250 until `release()`. That is
what a relay slow to answer DATA looks like to a run (issue 17: one took 8 s), with the test, not
a clock, deciding how long. The relay runs in the test's own process (aiosmtpd in a thread), so
it outlives any run the test kills."""

from __future__ import annotations

import asyncio
import os
import select
import subprocess
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

from dps_assets.embedded.smtp_server import HOST, MailboxHandler
from dps_assets_tests.support.servers import free_port


class _HoldingHandler(MailboxHandler):
    def __init__(self, mailbox: Path, relay: HoldingRelay):
        super().__init__(mailbox)
        self.relay = relay

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's handler API
        answer = await super().handle_DATA(server, session, envelope)  # the message is in the mailbox
        if not self.relay._released.is_set():
            os.write(self.relay._arrived_in, b"m")
            await asyncio.get_running_loop().run_in_executor(None, self.relay._released.wait)
        return answer


class HoldingRelay:
    """A plain relay on 127.0.0.1:`port` holding every answer to DATA until `release()`, then none
    until `hold()` (`holding=False`: none until `hold()`). Use as a context manager."""

    def __init__(self, mailbox: Path, holding: bool = True):
        self.mailbox = mailbox
        self.port = 0
        self._released = threading.Event()
        if not holding:
            self._released.set()
        self._arrived_out, self._arrived_in = os.pipe()  # one byte per message held
        self._controller: Controller | None = None

    def __enter__(self) -> HoldingRelay:
        self.mailbox.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.port = free_port()
        self._controller = Controller(_HoldingHandler(self.mailbox, self), hostname=HOST, port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
        if self._controller is not None:
            self._controller.stop()
        os.close(self._arrived_out)
        os.close(self._arrived_in)

    def wait_for_message(self, timeout_s: float, sender: subprocess.Popen | None = None) -> None:
        """Return once the relay has received a message's content (and holds its answer). Waits on
        the kernel: the relay's pipe turning readable, or the process `sender` dying first."""
        dead = os.pidfd_open(sender.pid) if sender is not None else None
        try:
            ready = select.select([self._arrived_out, *([dead] if dead is not None else [])], [], [], timeout_s)[0]
        finally:
            if dead is not None:
                os.close(dead)
        if self._arrived_out not in ready:
            raise AssertionError("the sender ended before the relay received a message" if ready
                                 else f"the relay received no message within {timeout_s} s")
        os.read(self._arrived_out, 1)

    def release(self) -> None:
        """Answer the messages held (250) and every later one at once."""
        self._released.set()

    def hold(self) -> None:
        """Hold the answer to every later message's DATA again, until `release()`."""
        self._released.clear()
