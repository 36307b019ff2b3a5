"""What a server that "acts on any new file" sees: the kernel's inotify events for one folder.

Managed-file-transfer servers and folder watchers trigger on a file appearing (IN_CREATE,
IN_MOVED_TO) or on a finished write (IN_CLOSE_WRITE). The kernel queues these events as the
file-system calls happen, so after an upload returns, its events are all there to be read.

    with FolderWatch(folder) as watch:
        ... upload ...
        events = watch.events()   # [("CREATE", "End_txt_file.txt"), ("CLOSE_WRITE", ...), ...]
"""

from __future__ import annotations

import ctypes
import os
import struct
from pathlib import Path

_EVENTS = {
    0x00000008: "CLOSE_WRITE",
    0x00000040: "MOVED_FROM",
    0x00000080: "MOVED_TO",
    0x00000100: "CREATE",
    0x00000200: "DELETE",
}
_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = os.O_CLOEXEC
_HEADER = struct.Struct("iIII")  # wd, mask, cookie, len (struct inotify_event)


class FolderWatch:
    def __init__(self, folder: Path):
        self.folder = folder
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._fd = -1
        self._pending = b""

    def __enter__(self) -> FolderWatch:
        self._fd = self._libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        mask = sum(_EVENTS)
        if self._libc.inotify_add_watch(self._fd, os.fsencode(self.folder), mask) < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch({self.folder}) failed")
        return self

    def __exit__(self, *exc_info: object) -> None:
        os.close(self._fd)

    def events(self) -> list[tuple[str, str]]:
        """Every (event, file name) queued since the last call, in order."""
        while True:
            try:
                self._pending += os.read(self._fd, 65536)
            except BlockingIOError:
                break
        found = []
        while len(self._pending) >= _HEADER.size:
            _wd, mask, _cookie, length = _HEADER.unpack_from(self._pending)
            raw_name = self._pending[_HEADER.size:_HEADER.size + length]
            self._pending = self._pending[_HEADER.size + length:]
            name = raw_name.rstrip(b"\0").decode()
            found += [(label, name) for bit, label in _EVENTS.items() if mask & bit]
        return found
