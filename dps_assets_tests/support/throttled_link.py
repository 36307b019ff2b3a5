"""A slow network link on loopback: a TCP forwarder in front of a real server that passes bytes
on at a fixed rate in either direction and counts what crossed in each.

Tests put it between the pipeline and an SFTP server so that an upload (or a download) takes
seconds, the way a 40 MB file does over the agency's link, and so that two racing runs really
overlap. The rates may be changed while it runs (`up_rate`, `down_rate`; None: as fast as
loopback goes); a change applies to the next chunk of every open connection."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field


@dataclass
class LinkCounters:
    connections: int = 0
    bytes_up: int = 0  # client -> server
    bytes_down: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, up: int = 0, down: int = 0, connections: int = 0) -> None:
        with self._lock:
            self.bytes_up += up
            self.bytes_down += down
            self.connections += connections


class ThrottledLink:
    """Listens on 127.0.0.1:<port> and forwards to 127.0.0.1:`target_port`; the client-to-server
    direction is limited to `up_bytes_per_s` per connection, the other to `down_bytes_per_s`
    (None: not limited). Use as a context manager."""

    def __init__(self, target_port: int, up_bytes_per_s: int | None = None, chunk: int = 8192,
                 down_bytes_per_s: int | None = None):
        self.target_port, self.chunk = target_port, chunk
        self.up_rate, self.down_rate = up_bytes_per_s, down_bytes_per_s
        self.counters = LinkCounters()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="throttled-link", daemon=True)
        self._server: asyncio.base_events.Server | None = None

    def __enter__(self) -> ThrottledLink:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc_info: object) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.counters.add(connections=1)
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_writer.close()
            return
        up = asyncio.ensure_future(self._pipe(client_reader, server_writer, upward=True))
        down = asyncio.ensure_future(self._pipe(server_reader, client_writer, upward=False))
        await asyncio.wait([up, down], return_when=asyncio.FIRST_COMPLETED)
        for task in (up, down):
            task.cancel()
        for writer in (client_writer, server_writer):
            writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, upward: bool) -> None:
        loop = asyncio.get_running_loop()
        free_at = loop.time()  # when the link has passed on every byte so far, at its rate
        while data := await reader.read(self.chunk):
            writer.write(data)
            await writer.drain()
            if upward:
                self.counters.add(up=len(data))
            else:
                self.counters.add(down=len(data))
            rate = self.up_rate if upward else self.down_rate
            now = loop.time()
            free_at = max(free_at, now) + (len(data) / rate if rate else 0)
            if free_at > now:
                await asyncio.sleep(free_at - now)  # the link's rate, not a synchronisation
