"""Writing a file that only its owner may read, appearing whole or not at all."""

from __future__ import annotations

import errno
import gc
import os
import shutil
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from dps_assets.core.errors import ExchangeError, chained, os_error_in, os_reason

FOLDER_MODE = 0o700
FILE_MODE = 0o600

# What a full or failing disk says while a file is written, whoever meets it: the block's code
# (a library writing the file) or ours. Not a network error, nor a remote server's refusal of a
# download being written in the block (paramiko's EACCES), which is no local failure.
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS}
# What a folder we may not write in says to our own calls (making, syncing, renaming the file).
_REFUSED_ERRNOS = {errno.EACCES, errno.EPERM}


class PrivateFileError(ExchangeError, OSError):
    """A private file could not be written; names the file, its folder and the operating
    system's reason, which `reason` holds alone (`disk full (ENOSPC)`)."""

    reason = ""


def _write_failure(path: Path, exc: BaseException, ours: bool) -> PrivateFileError | None:
    """The PrivateFileError that says why `path` could not be written, when `exc` was caused by a
    full or failing disk, whichever library raised it (`core.errors.os_error_in`), or, raised by
    our own calls (`ours`), by a refused write; None for any other error, and for our own errors,
    which say it already."""
    if not isinstance(exc, Exception) or isinstance(exc, ExchangeError):
        return None
    cause = os_error_in(exc)
    if cause is None or cause.errno not in (_DISK_ERRNOS | _REFUSED_ERRNOS if ours else _DISK_ERRNOS):
        return None
    failure = PrivateFileError(f"cannot write {path.name} into {path.parent}: {os_reason(cause)}")
    failure.reason = os_reason(cause)
    return failure


@contextmanager
def private_file(path: Path) -> Iterator[BinaryIO]:
    """A new file beside `path`, created 0600 under a unique name (never one an earlier run or
    anyone else left there, whatever its mode), synced and renamed onto `path` when the block
    succeeds and removed when it fails. A full disk, whoever met it, and a refused write raise
    PrivateFileError: `cannot write end_export.xlsx into /work/…: disk full (ENOSPC)`."""
    name: str | None = None
    in_block = False
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
        with os.fdopen(fd, "wb") as handle:
            in_block = True
            yield handle
            in_block = False
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(name, path)
    except BaseException as exc:
        if name is not None:
            with suppress(FileNotFoundError):
                os.unlink(name)
        failure = _write_failure(path, exc, ours=not in_block)
        if failure is None:
            raise
    else:
        return
    raise failure from None  # outside the handler: the error met is neither its cause nor its context


@contextmanager
def private_scratch(path: Path) -> Iterator[Path]:
    """A new hidden folder beside `path` (`.<name>.<random>.tmp`, 0700) for the temporary files a
    library makes while it writes `path`, removed with all it holds however the block ends. When
    the block fails, the variables of the frames that failed are dropped and collected first, so
    that the files the library still had open are closed, and their space freed, now rather than
    whenever the error and the library's objects are forgotten (XlsxWriter's refer to each other,
    so only the cycle collector frees them). A full disk or a refused write raises
    PrivateFileError as `private_file` does."""
    try:
        folder = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    except OSError as exc:
        failure = _write_failure(path, exc, ours=True)
        if failure is None:
            raise
        raise failure from None
    try:
        yield folder
    except BaseException as exc:
        for error in chained(exc):
            traceback.clear_frames(error.__traceback__)
        gc.collect()
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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
