"""A TCP relay on 127.0.0.1 that can break the connections going through it, for fault tests.

    with TcpRelay(target_port) as relay:   # clients connect to relay.port
        relay.reset()       # every connection open so far is reset (RST to both ends)
        relay.black_hole()  # every connection open so far silently drops what it is sent

Connections accepted after a fault are relayed normally, as after a broken NAT entry or a
restarted firewall: a client can connect afresh. One thread does all the I/O (a selector), so a
fault is applied between two reads, and `reset()`/`black_hole()` return once it is applied."""

from __future__ import annotations

import queue
import selectors
import socket
import struct
import threading
from dataclasses import dataclass, field

LOCALHOST = "127.0.0.1"


@dataclass(eq=False)
class _Link:
    client: socket.socket
    upstream: socket.socket
    dropping: bool = False
    peers: dict[socket.socket, socket.socket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.peers = {self.client: self.upstream, self.upstream: self.client}


class TcpRelay:
    def __init__(self, target_port: int, target_host: str = LOCALHOST):
        self.target = (target_host, target_port)
        self._listener = socket.create_server((LOCALHOST, 0))
        self.port: int = self._listener.getsockname()[1]
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._commands: queue.Queue[tuple[str, threading.Event]] = queue.Queue()
        self._links: list[_Link] = []
        self._thread = threading.Thread(target=self._run, name="tcp-relay", daemon=True)

    def __enter__(self) -> TcpRelay:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        self._command("reset")

    def black_hole(self) -> None:
        self._command("black_hole")

    def stop(self) -> None:
        if self._thread.is_alive():
            self._command("stop")
            self._thread.join(timeout=5)
        for sock in (self._listener, self._wake_reader, self._wake_writer):
            sock.close()

    def _command(self, name: str, timeout_s: float = 5) -> None:
        done = threading.Event()
        self._commands.put((name, done))
        self._wake_writer.send(b"!")
        if not done.wait(timeout_s):
            raise RuntimeError(f"the relay did not apply {name!r} within {timeout_s} s")

    # -- the I/O thread ------------------------------------------------------------------------

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._listener, selectors.EVENT_READ, "accept")
        selector.register(self._wake_reader, selectors.EVENT_READ, "command")
        running = True
        while running:
            for key, _events in selector.select():
                if key.data == "accept":
                    self._accept(selector)
                elif key.data == "command":
                    running = self._apply_commands(selector)
                else:
                    self._relay(selector, key.data, key.fileobj)  # type: ignore[arg-type]
        for link in list(self._links):
            self._close(selector, link, abort=False)
        selector.close()

    def _accept(self, selector: selectors.BaseSelector) -> None:
        client, _ = self._listener.accept()
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        link = _Link(client, upstream)
        self._links.append(link)
        for sock in (client, upstream):
            selector.register(sock, selectors.EVENT_READ, link)

    def _apply_commands(self, selector: selectors.BaseSelector) -> bool:
        self._wake_reader.recv(4096)
        running = True
        while not self._commands.empty():
            name, done = self._commands.get_nowait()
            for link in list(self._links):
                if name == "reset":
                    self._close(selector, link, abort=True)
                elif name == "black_hole":
                    link.dropping = True
            running = running and name != "stop"
            done.set()
        return running

    def _relay(self, selector: selectors.BaseSelector, link: _Link, source: socket.socket) -> None:
        try:
            data = source.recv(65536)
            if data and not link.dropping:
                link.peers[source].sendall(data)
        except OSError:
            data = b""
        if not data:
            self._close(selector, link, abort=False)

    def _close(self, selector: selectors.BaseSelector, link: _Link, abort: bool) -> None:
        for sock in (link.client, link.upstream):
            selector.unregister(sock)
            if abort:  # SO_LINGER 0: close() sends RST instead of FIN
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        self._links.remove(link)
