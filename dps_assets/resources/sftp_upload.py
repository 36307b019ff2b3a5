"""Uploading End_txt_file.txt so that DPS never takes a partial file, and nothing of ours (all of
it children's records) is left on DPS's server, whatever breaks (`SftpSession.upload_atomically`).

Two strategies, `sftp.upload_strategy` (see `UPLOAD_STRATEGY_HELP`):
- `temporary_name` (default): the data goes to `.<name>.<12 hex>.partial` in the same folder, its
  size is checked on the server, then it is renamed onto the final name;
- `final_name`: the data goes straight to the final name, for servers that act on any new file.
Either way the file is created exclusively and restricted (`sftp.remote_file_mode`) before any
data is written, and the SHA-256 returned is that of the bytes sent.

After a failure, what the upload put on the server is taken back: over the same connection while
it works, else over a fresh one (bounded by the configured timeouts), and the transfer's own
error is raised. What even that cannot remove is swept by the next upload into the folder, which
removes our own temporary names for that file, and nothing else (`sftp_leftovers.sweep`). A
server that refuses deletes keeps what we could not remove after a successful upload too (an
older file moved aside, earlier leftovers): `Upload.left_on_server` names it."""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import paramiko

from dps_assets.resources.sftp_errors import TRANSFER_ERRORS, SftpError
from dps_assets.resources.sftp_leftovers import (
    PARTIAL,
    PREVIOUS,
    OnServer,
    Reconnect,
    connection_lost,
    drop,
    exists,
    remove_if_there,
    remove_quietly,
    sweep,
    take_back,
    temporary_name,
)

UploadStrategy = Literal["temporary_name", "final_name"]
UPLOAD_STRATEGY_HELP = (
    "temporary_name (the default, and the safest): the data goes to a hidden temporary name in "
    "from_folder and is renamed onto the final name once its size checks out, so DPS never sees "
    "a partial file under the final name; where the server lacks OpenSSH's posix-rename, an older "
    "file is moved aside for a plain rename and put back if that fails. final_name: only for a "
    "server that acts on any new file in from_folder, even a hidden temporary one: the file is "
    "created exclusively under the final name, closed to others before any data, written in one "
    "open-to-close, its size checked before the close, and removed (before the close where it can "
    "be) if anything fails; an older file is removed first. DPS can see it grow during the upload"
)
_CHUNK = 32 * 1024  # paramiko's largest SFTP write


@dataclass(frozen=True)
class Upload:
    path: str
    size: int
    sha256: str
    # Our temporary files (older versions of the file, cut uploads: children's records) that the
    # server would not let this upload remove; the upload itself succeeded.
    left_on_server: tuple[str, ...] = ()


def upload_file(sftp: paramiko.SFTPClient, where: str, local_path: Path, folder: str, name: str, *,
                strategy: UploadStrategy, file_mode: int | None, stale_after_s: float,
                sole_uploader: bool = False, progress: Callable[[int, int], None] | None = None,
                reconnect: Reconnect | None = None) -> Upload:
    final = posixpath.join(folder, name)
    try:
        source = open(local_path, "rb")  # noqa: SIM115 - closed below; failing here sends nothing
        size = os.fstat(source.fileno()).st_size
    except OSError as exc:
        raise SftpError(f"cannot read local file {local_path}: {exc.strerror}") from exc
    on_server = OnServer(final)
    refused: list[str] = []  # what the server would not let us remove
    with source:
        try:
            if strategy == "final_name":
                # DPS takes the file away when it reads it, so one still here is a submission DPS
                # has not taken, replaced on purpose (a forced upload). It has to make way: the
                # final name is the only name this strategy writes.
                remove_if_there(sftp, final)
                target = final
            else:
                target = posixpath.join(folder, temporary_name(name, PARTIAL))
            def sweep_earlier_leftovers(now: float | None) -> None:
                refused.extend(sweep(sftp, folder, name, target, now, stale_after_s, sole_uploader))

            digest = _write_new_file(sftp, where, source, size, target, file_mode, progress, on_server,
                                     before_data=sweep_earlier_leftovers)
            if target != final:
                refused.extend(_rename_onto_final(sftp, target, on_server))
        except BaseException as exc:
            left = take_back(sftp, reconnect, on_server, folder, lost=connection_lost(sftp, exc))
            if not isinstance(exc, (SftpError, *TRANSFER_ERRORS)):
                raise  # an interruption or a bug: as it is
            if isinstance(exc, SftpError) and not left:
                raise
            if isinstance(exc, SftpError):
                message, cause = str(exc), exc.__cause__
            else:
                message, cause = f"{where}: upload to {final} failed: {str(exc) or type(exc).__name__}", exc
            if left:
                message += f"\n{left}"
            raise SftpError(message) from cause
    return Upload(path=final, size=size, sha256=digest, left_on_server=tuple(refused))


def _write_new_file(sftp: paramiko.SFTPClient, where: str, source, size: int, target: str,
                    file_mode: int | None, progress: Callable[[int, int], None] | None,
                    on_server: OnServer, before_data: Callable[[float | None], None]) -> str:
    """Create `target` exclusively, restrict it, call `before_data` with the server's clock, send
    every byte, check the size on the server, and only then close it: a server that acts on a
    completed upload acts on the close. Returns the SHA-256 of the bytes sent."""
    try:
        handle = sftp.open(target, "wbx")  # exclusive: never into a file someone else made
    except TRANSFER_ERRORS as exc:
        if connection_lost(sftp, exc):
            on_server.new_file = target  # it may have been created before the connection broke
        raise
    on_server.new_file = target
    try:
        if file_mode is not None:
            _restrict(sftp, where, target, file_mode)
        before_data(handle.stat().st_mtime)  # the new file's time is the server's clock
        handle.set_pipelined(True)
        digest, sent = hashlib.sha256(), 0
        while chunk := source.read(_CHUNK):
            handle.write(chunk)
            digest.update(chunk)
            sent += len(chunk)
            if progress is not None:
                progress(sent, size)
        handle.flush()
        on_server_size = handle.stat().st_size
        if on_server_size != size or sent != size:
            raise SftpError(f"{where}: {target} has {on_server_size} bytes after upload, expected {size}")
    except BaseException as exc:
        if connection_lost(sftp, exc):
            drop(sftp)  # so that closing the handle does not wait on a dead link
        else:
            remove_quietly(sftp, target)  # before the close: nothing complete-looking is closed
        _close_quietly(handle)
        raise
    handle.close()
    return digest.hexdigest()


def _rename_onto_final(sftp: paramiko.SFTPClient, temporary: str, on_server: OnServer) -> list[str]:
    """Rename the complete temporary file onto the final name. Returns the older file moved
    aside if the server would not let us remove it afterwards ([] otherwise)."""
    final = on_server.final
    try:
        sftp.posix_rename(temporary, final)  # atomic replace, where the server offers it
        return []
    except TRANSFER_ERRORS as exc:
        if connection_lost(sftp, exc):
            raise
        # Not offered, or refused: many managed-file-transfer servers lack posix-rename@openssh.com.
    try:
        sftp.rename(temporary, final)  # plain SFTP rename: atomic, but refuses an existing target
        return []
    except TRANSFER_ERRORS as exc:
        if connection_lost(sftp, exc) or not exists(sftp, final) or not exists(sftp, temporary):
            raise
    # An older file holds the final name, and plain SFTP has no atomic replace. Removing it first
    # could leave DPS with no file if the rename then failed; writing over it would show DPS a
    # partial one. So the older file is moved aside under one of our temporary names (DPS never
    # sees a partial file under the final name, only, for one round trip, no file), the complete
    # and size-checked new file is renamed into place, and only then is the older one removed.
    # If the rename fails, the older file is put back (over a fresh connection if this one died);
    # if even that fails, the next upload's sweep removes it before putting its own file in place.
    backup = posixpath.join(posixpath.dirname(final), temporary_name(posixpath.basename(final), PREVIOUS))
    on_server.moved_aside = backup
    sftp.rename(final, backup)
    sftp.rename(temporary, final)
    on_server.moved_aside = None
    # Best effort: if it stays, the next upload's sweep tries again; the caller is told either way.
    return [] if remove_quietly(sftp, backup) else [backup]


def _restrict(sftp: paramiko.SFTPClient, where: str, path: str, mode: int) -> None:
    """The server's default mode (often 0644) would let other accounts on it read the records."""
    try:
        sftp.chmod(path, mode)
    except OSError as exc:
        raise SftpError(
            f"{where}: cannot restrict {path} to mode {mode:04o} ({exc}); nothing was sent. If "
            "this server cannot set modes, set sftp.remote_file_mode to null"
        ) from exc


def _close_quietly(handle: paramiko.SFTPFile) -> None:
    try:
        handle.close()
    except TRANSFER_ERRORS:  # a broken connection: the server closes it when the session ends
        pass
