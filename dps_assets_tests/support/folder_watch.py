"""What a server that "acts on any new file" sees: the kernel's inotify events for one folder.

Managed-file-transfer servers and folder watchers trigger on a file appearing (IN_CREATE,
IN_MOVED_TO) or on a finished write (IN_CLOSE_WRITE). The kernel queues these events as the
file-system calls happen, so after an upload returns, its events are all there to be read.

    with FolderWatch(folder) as watch:
        ... upload ...
        events = watch.events()   # [("CREATE", "End_txt_file.txt"), ("CLOSE_WRITE", ...), ...]

`also=("MODIFY", "ACCESS")` adds a file's data being written or read, and `wait_for` waits on
the kernel (no polling) until an event of interest has been queued: a test that must act while
an upload is half-written, or while a download is under way, acts on that."""

from __future__ import annotations

import ctypes
import os
import re
import select
import struct
import time
from collections.abc import Iterable
from pathlib import Path

_EVENTS = {
    0x00000008: "CLOSE_WRITE",
    0x00000040: "MOVED_FROM",
    0x00000080: "MOVED_TO",
    0x00000100: "CREATE",
    0x00000200: "DELETE",
}
_OPTIONAL = {0x00000001: "ACCESS", 0x00000002: "MODIFY"}
_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = os.O_CLOEXEC
_HEADER = struct.Struct("iIII")  # wd, mask, cookie, len (struct inotify_event)


class FolderWatch:
    def __init__(self, folder: Path, also: Iterable[str] = ()):
        self.folder = folder
        extra = set(also)
        unknown = extra - set(_OPTIONAL.values())
        if unknown:
            raise ValueError(f"FolderWatch cannot watch {sorted(unknown)}")
        self._labels = {**_EVENTS, **{bit: label for bit, label in _OPTIONAL.items() if label in extra}}
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._fd = -1
        self._pending = b""
        self._queued: list[tuple[str, str]] = []

    def __enter__(self) -> FolderWatch:
        self._fd = self._libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        mask = sum(self._labels)
        if self._libc.inotify_add_watch(self._fd, os.fsencode(self.folder), mask) < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch({self.folder}) failed")
        return self

    def __exit__(self, *exc_info: object) -> None:
        os.close(self._fd)

    def events(self) -> list[tuple[str, str]]:
        """Every (event, file name) queued since the last call, in order."""
        self._read()
        found, self._queued = self._queued, []
        return found

    def _read(self) -> None:
        while True:
            try:
                self._pending += os.read(self._fd, 65536)
            except BlockingIOError:
                break
        while len(self._pending) >= _HEADER.size:
            _wd, mask, _cookie, length = _HEADER.unpack_from(self._pending)
            raw_name = self._pending[_HEADER.size:_HEADER.size + length]
            self._pending = self._pending[_HEADER.size + length:]
            name = raw_name.rstrip(b"\0").decode()
            self._queued += [(label, name) for bit, label in self._labels.items() if mask & bit]

    def wait_for(self, event: str, name: str | re.Pattern[str],
                 timeout_s: float) -> tuple[list[tuple[str, str]], str]:
        """Block until `event` happens to a file called `name` (a string, or a pattern the whole
        name must match). Returns the events up to and including it, and the file's name; later
        events stay queued for `events()`."""
        pattern = re.compile(re.escape(name)) if isinstance(name, str) else name
        deadline = time.monotonic() + timeout_s
        seen: list[tuple[str, str]] = []
        while True:
            self._read()
            while self._queued:
                happened = self._queued.pop(0)
                seen.append(happened)
                if happened[0] == event and pattern.fullmatch(happened[1]):
                    return seen, happened[1]
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._fd], [], [], left)[0]:
                raise TimeoutError(f"no {event} of {pattern.pattern} in {self.folder} within {timeout_s:g} s; "
                                   f"saw {seen[-10:]}")
