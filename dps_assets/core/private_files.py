"""Writing a file that only its owner may read, appearing whole or not at all."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from dps_assets.core.errors import ExchangeError

FOLDER_MODE = 0o700
FILE_MODE = 0o600

# What a full or failing disk says while a file is written (not a network error in the block).
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS}


class PrivateFileError(ExchangeError, OSError):
    """A private file could not be written; names the file and the operating system's reason."""


@contextmanager
def private_file(path: Path) -> Iterator[BinaryIO]:
    """A new file beside `path`, created 0600 under a unique name (never one an earlier run or
    anyone else left there, whatever its mode), synced and renamed onto `path` when the block
    succeeds and removed when it fails. A full disk raises PrivateFileError naming `path`."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    failure: PrivateFileError | None = None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(name, path)
    except OSError as exc:
        with suppress(FileNotFoundError):
            os.unlink(name)
        if exc.errno not in _DISK_ERRNOS:
            raise
        failure = PrivateFileError(f"cannot write {path}: {exc.strerror} "
                                   f"({errno.errorcode.get(exc.errno, exc.errno)})")
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(name)
        raise
    if failure is not None:
        raise failure from None  # the OSError is neither its cause nor a context shown anywhere


def private_folder(path: Path) -> Path:
    """Create `path` and any missing parents with mode 0700; tighten an existing leaf to 0700."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            pass
    os.chmod(path, FOLDER_MODE)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Write a new file atomically with mode 0600 (temporary name, then rename)."""
    with private_file(path) as handle:
        handle.write(data)
    return path
