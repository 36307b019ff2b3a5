"""What an upload leaves on DPS's server, and taking it back: our temporary names, what a failed
upload has put there (`OnServer`), taking that back over the same or a fresh connection, and the
sweep of what earlier uploads could not take back. Only our own temporary names for the file
being uploaded are ever swept, never anything else."""

from __future__ import annotations

import posixpath
import re
import stat
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import paramiko

from dps_assets.resources.sftp_errors import TRANSFER_ERRORS, SftpError

PARTIAL, PREVIOUS = "partial", "previous"

Reconnect = Callable[[], AbstractContextManager[paramiko.SFTPClient]]  # a fresh connection


def temporary_name(final_name: str, kind: str) -> str:
    return f".{final_name}.{uuid.uuid4().hex[:12]}.{kind}"


def our_temporary_names(final_name: str) -> re.Pattern[str]:
    """Exactly the names `temporary_name` gives for `final_name` (use with `fullmatch`)."""
    return re.compile(rf"\.{re.escape(final_name)}\.[0-9a-f]{{12}}\.(?:{PARTIAL}|{PREVIOUS})")


@dataclass
class OnServer:
    """What this upload has put on the server so far, so that a failure can take it back."""

    final: str
    new_file: str | None = None  # ours, maybe partial: the temporary name, or the final name
    moved_aside: str | None = None  # the older final file, under a temporary name

    def undo(self, sftp: paramiko.SFTPClient) -> None:
        """Remove our new file and put the older one back. Raises if a step fails."""
        if self.new_file is not None:
            remove_if_there(sftp, self.new_file)
            self.new_file = None
        if self.moved_aside is not None and exists(sftp, self.moved_aside):
            if exists(sftp, self.final):  # the new file got in before the failure
                remove_if_there(sftp, self.moved_aside)
            else:  # plain rename: never onto a file that appeared meanwhile
                sftp.rename(self.moved_aside, self.final)
        self.moved_aside = None

    def what_is_left(self, folder: str) -> str:
        """For the error message: what could not be taken back, and what happens to it."""
        if self.new_file == self.final:  # final_name: DPS could take it before anyone else
            return f"the partial {self.final} could not be removed: remove it before DPS takes it"
        left = [f"the unfinished upload {self.new_file}"] if self.new_file else []
        if self.moved_aside:
            left.append(f"the older {posixpath.basename(self.final)}, moved aside to {self.moved_aside}")
        return f"{' and '.join(left)} could not be removed now; the next upload into {folder} removes it"


def sweep(sftp: paramiko.SFTPClient, folder: str, name: str, keep: str, now: float | None,
          stale_after_s: float, sole_uploader: bool = False) -> list[str]:
    """Remove what earlier uploads of `name` could not: regular files under our own temporary
    names for it (`our_temporary_names`), never anything else. An older file moved aside
    (`.previous`) is removed: the upload that runs this sweep is about to put the current file in
    place. A `.partial` file is another upload's: with `sole_uploader` (the caller holds the
    DPS-folder lock, and only its holder uploads) that upload's writer is gone, so it is removed
    whatever its age; otherwise one modified in the last `stale_after_s` (the I/O timeout, by the
    server's clock) is left alone, as a running upload writes more often than that, or fails.
    Best effort: a folder that cannot be listed, or a file that cannot be removed, does not stop
    the upload. Returns the files the server would not let us remove."""
    ours = our_temporary_names(name)
    try:
        entries = sftp.listdir_attr(folder)
    except TRANSFER_ERRORS:
        return []  # some drop folders may be written to but not listed
    refused = []
    for entry in entries:
        path = posixpath.join(folder, entry.filename)
        if path == keep or not ours.fullmatch(entry.filename) or not stat.S_ISREG(entry.st_mode or 0):
            continue
        if entry.filename.endswith(f".{PARTIAL}") and not sole_uploader and not (
            now is not None and entry.st_mtime is not None and entry.st_mtime < now - stale_after_s
        ):
            continue
        if not remove_quietly(sftp, path):
            refused.append(path)
    return refused


def take_back(sftp: paramiko.SFTPClient, reconnect: Reconnect | None, on_server: OnServer,
              folder: str, lost: bool) -> str:
    """Take back what a failed upload left: on this connection while it works, else over a fresh
    one. Returns what is still left ('' when nothing is)."""
    if not lost:
        try:
            on_server.undo(sftp)
            return ""
        except TRANSFER_ERRORS as exc:
            lost = connection_lost(sftp, exc)
    if lost:
        drop(sftp)  # the session is done for; its own close must not wait on it
    if reconnect is not None:
        try:
            with reconnect() as fresh:
                on_server.undo(fresh)
            return ""
        except (SftpError, *TRANSFER_ERRORS):
            pass
    return on_server.what_is_left(folder)


def connection_lost(sftp: paramiko.SFTPClient, exc: BaseException) -> bool:
    """Whether `exc` means this SFTP connection can no longer be used (cut, reset, timed out)."""
    if isinstance(exc, (TimeoutError, EOFError, ConnectionError, paramiko.SSHException)):
        return True
    channel = sftp.get_channel()
    return channel is None or channel.closed or not channel.get_transport().is_active()


def drop(sftp: paramiko.SFTPClient) -> None:
    """Close a broken connection now, so that nothing more waits on it."""
    channel = sftp.get_channel()
    if channel is not None:
        channel.get_transport().close()


def exists(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        sftp.stat(path)
    except FileNotFoundError:
        return False
    return True


def remove_if_there(sftp: paramiko.SFTPClient, path: str) -> None:
    try:
        sftp.remove(path)
    except FileNotFoundError:
        pass


def remove_quietly(sftp: paramiko.SFTPClient, path: str) -> bool:
    """Whether `path` is gone (it was removed, or was not there)."""
    try:
        sftp.remove(path)
    except FileNotFoundError:
        return True
    except TRANSFER_ERRORS:
        return False
    return True
