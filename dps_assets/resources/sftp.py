"""DPS's SFTP server, through paramiko.

The server's host key is pinned: it must be in the configured known_hosts file, and a missing or
different key fails closed (`sftp_host_keys`). Every session is closed on the way out, errors
included. Uploads never show DPS a partial file and leave nothing behind (`sftp_upload`)."""

from __future__ import annotations

import hashlib
import os
import posixpath
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import paramiko
from dagster import ConfigurableResource
from pydantic import Field

from dps_assets.config.schema import SftpConfig
from dps_assets.core.privacy.private_files import private_file
from dps_assets.resources.sftp_disconnect import disconnect
from dps_assets.resources.sftp_errors import TRANSFER_ERRORS, SftpError
from dps_assets.resources.sftp_host_keys import load_pinned_keys, wrong_host_key
from dps_assets.resources.sftp_leftovers import Reconnect
from dps_assets.resources.sftp_upload import UPLOAD_STRATEGY_HELP, Upload, UploadStrategy, upload_file

__all__ = ["RemoteFile", "SftpError", "SftpResource", "SftpSession", "Upload"]

_CHUNK = 32 * 1024


@dataclass(frozen=True)
class RemoteFile:
    name: str
    path: str
    size: int
    mtime: int


class SftpSession:
    """One open SFTP session. Obtain it from `SftpResource.session()`."""

    def __init__(self, client: paramiko.SFTPClient, where: str, file_mode: int | None = 0o600, *,
                 upload_strategy: UploadStrategy = "temporary_name", stale_after_s: float = 60,
                 reconnect: Reconnect | None = None):
        self._sftp = client
        self.where = where
        self.file_mode = file_mode
        self.upload_strategy = upload_strategy
        self.stale_after_s = stale_after_s  # a temporary upload untouched this long is abandoned
        self._reconnect = reconnect  # a fresh connection, to clean up after this one broke

    def list_files(self, folder: str) -> list[RemoteFile]:
        try:
            entries = self._sftp.listdir_attr(folder)
        except OSError as exc:
            raise SftpError(f"{self.where}: cannot list {folder}: {exc}") from exc
        return sorted(
            (
                RemoteFile(e.filename, posixpath.join(folder, e.filename), e.st_size or 0, e.st_mtime or 0)
                for e in entries
                if e.st_mode is not None and stat.S_ISREG(e.st_mode)
            ),
            key=lambda f: f.name,
        )

    def files_named(self, folder: str, names: Sequence[str]) -> list[RemoteFile]:
        """The regular files of `folder` among `names`: one stat each, so the cost does not grow
        with what else the folder holds (listing 10,000 files took 100 requests, one by one)."""
        found = [self.stat(posixpath.join(folder, name), regular_only=True) for name in names]
        return [f for f in found if f is not None]

    def stat(self, path: str, regular_only: bool = False) -> RemoteFile | None:
        try:
            attrs = self._sftp.stat(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SftpError(f"{self.where}: cannot stat {path}: {exc}") from exc
        if regular_only and (attrs.st_mode is None or not stat.S_ISREG(attrs.st_mode)):
            return None
        return RemoteFile(posixpath.basename(path), path, attrs.st_size or 0, attrs.st_mtime or 0)

    def upload_atomically(
        self,
        local_path: Path,
        remote_folder: str,
        remote_name: str,
        progress: Callable[[int, int], None] | None = None,
        *,
        sole_uploader: bool = False,
    ) -> Upload:
        """Upload `local_path` as `remote_folder/remote_name` so that DPS never takes a partial
        file (`sftp_upload`: by default under a temporary name, size-checked, then renamed). On
        any failure the final name is left as it was (`final_name` strategy: left empty) and
        nothing of this upload stays on the server; our stale temporary files of earlier uploads
        of that name are swept first. `sole_uploader`: the caller holds the lock that every
        upload into the folder holds, so every other unfinished upload there is stale, however
        recent (`sftp_leftovers.sweep`)."""
        return upload_file(
            self._sftp, self.where, local_path, remote_folder, remote_name,
            strategy=self.upload_strategy, file_mode=self.file_mode, stale_after_s=self.stale_after_s,
            sole_uploader=sole_uploader, progress=progress, reconnect=self._reconnect,
        )

    def download(self, remote: RemoteFile, local_path: Path) -> str:
        """Fetch to `local_path` (0600) through a temporary file; verify the size against the
        listing; return the SHA-256 of what was received."""
        try:
            # private_file: a fresh 0600 temporary, renamed only when the block succeeds.
            with private_file(local_path) as sink:
                return self._read(remote, sink.write)
        except TRANSFER_ERRORS as exc:
            raise SftpError(f"{self.where}: download of {remote.path} failed: {exc}") from exc

    def sha256(self, remote: RemoteFile) -> str:
        """The SHA-256 of a remote file, read through without keeping any of it; the size is
        verified against `remote` as a download's is."""
        try:
            return self._read(remote, lambda _chunk: None)
        except TRANSFER_ERRORS as exc:
            raise SftpError(f"{self.where}: cannot read {remote.path}: {exc}") from exc

    def _read(self, remote: RemoteFile, sink: Callable[[bytes], object]) -> str:
        digest = hashlib.sha256()
        received = 0
        with self._sftp.open(remote.path, "rb") as source:
            # Pipelined reads. Not capped: paramiko 5.1 marks a capped prefetch done whenever its
            # in-flight reads drain, and from then on reads one round trip at a time (40x slower
            # on 64 MiB, bench/bench_sftp.py). This loop keeps up with the network, so the
            # prefetch buffer stays small (256 MiB file: ~15 MiB more peak RSS).
            source.prefetch(remote.size)
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                sink(chunk)
                received += len(chunk)
        if received != remote.size:
            raise SftpError(f"{self.where}: {remote.path} gave {received} bytes, the listing said {remote.size}")
        return digest.hexdigest()

    def move(self, source: str, target_folder: str, target_name: str | None = None) -> str:
        """Move a remote file into `target_folder` (created if needed), never onto an existing name."""
        self.ensure_folder(target_folder)
        target = posixpath.join(target_folder, target_name or posixpath.basename(source))
        if self.stat(target) is not None:
            raise SftpError(f"{self.where}: {target} already exists; not overwriting it")
        try:
            # Plain SFTP rename refuses an existing target (posix_rename would replace it), so a
            # file that appears after the check above is still never overwritten.
            self._sftp.rename(source, target)
        except OSError as exc:
            if self.stat(target) is not None:
                raise SftpError(f"{self.where}: {target} already exists; not overwriting it") from exc
            raise SftpError(f"{self.where}: cannot move {source} to {target}: {exc}") from exc
        return target

    def ensure_folder(self, folder: str) -> None:
        path = ""
        for part in folder.strip("/").split("/"):
            path = f"{path}/{part}" if (path or folder.startswith("/")) else part
            try:
                self._sftp.stat(path)
            except FileNotFoundError:
                try:
                    self._sftp.mkdir(path, mode=0o700)
                except OSError as exc:
                    if self.stat(path) is None:  # someone else may have just created it
                        raise SftpError(f"{self.where}: cannot create folder {path}: {exc}") from exc
            except OSError as exc:
                raise SftpError(f"{self.where}: cannot use folder {path}: {exc}") from exc

    def remove(self, path: str) -> None:
        try:
            self._sftp.remove(path)
        except OSError as exc:
            raise SftpError(f"{self.where}: cannot remove {path}: {exc}") from exc


class SftpResource(ConfigurableResource):
    """DPS's SFTP server. Authenticates with a private key or a password (from the environment).
    Its settings are the sftp section's (defaults and checks there)."""

    host: str
    port: int
    username: str
    password: str | None = Field(description="from an environment variable")
    private_key_file: str | None = Field(description="key authentication")
    private_key_passphrase: str | None = Field(description="from an environment variable")
    known_hosts_file: str = Field(description="known_hosts file holding the server's pinned host key")
    from_folder: str = Field(description="where DPS picks up End_txt_file.txt")
    to_dfps_folder: str = Field(description="where DPS drops its results (TO_DFPS)")
    processed_folder: str = Field(description="where DPS's files go on the server once delivered")
    connect_timeout_s: float
    banner_timeout_s: float
    auth_timeout_s: float
    io_timeout_s: float = Field(description="a stalled transfer fails after this long")
    # The one setting with a default here, the configuration's own (not a second copy): a run
    # whose launch config overrides this resource without it still restricts what it uploads.
    remote_file_mode: str | None = Field(default=SftpConfig.model_fields["remote_file_mode"].default,
                                         description="mode (octal, e.g. 0600) of uploaded files on the "
                                         "server, set before any data is written; None: the server's")
    upload_strategy: UploadStrategy = Field(description=UPLOAD_STRATEGY_HELP)

    @property
    def where(self) -> str:
        return f"sftp://{self.username}@{self.host}:{self.port}"

    @contextmanager
    def session(self) -> Iterator[SftpSession]:
        with self._sftp_client() as sftp:
            file_mode = int(self.remote_file_mode, 8) if self.remote_file_mode else None
            yield SftpSession(sftp, self.where, file_mode,
                              upload_strategy=self.upload_strategy, stale_after_s=self.io_timeout_s,
                              reconnect=self._sftp_client)

    @contextmanager
    def _sftp_client(self) -> Iterator[paramiko.SFTPClient]:
        """One SFTP connection, every step bounded by the configured timeouts, closed on exit."""
        client = paramiko.SSHClient()
        try:
            load_pinned_keys(client, self.known_hosts_file, self.where)
            self._connect(client)
            try:
                sftp = client.open_sftp()
            except TRANSFER_ERRORS as exc:
                raise SftpError(f"{self.where}: the server refused an SFTP session: {exc}") from exc
            channel = sftp.get_channel()
            assert channel is not None  # an open SFTP session's
            channel.settimeout(self.io_timeout_s)
            try:
                yield sftp
            finally:
                try:
                    sftp.close()
                except TRANSFER_ERRORS:
                    pass  # a broken connection must not hide the error that broke it
        finally:
            disconnect(client, self.connect_timeout_s)

    def _connect(self, client: paramiko.SSHClient) -> None:
        if self.private_key_file and not os.path.isfile(self.private_key_file):
            raise SftpError(f"{self.where}: cannot read private key file {self.private_key_file}")
        try:
            client.connect(
                self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                key_filename=self.private_key_file,
                passphrase=self.private_key_passphrase,
                timeout=self.connect_timeout_s,
                banner_timeout=self.banner_timeout_s,
                auth_timeout=self.auth_timeout_s,
                channel_timeout=self.connect_timeout_s,
                look_for_keys=False,
                allow_agent=False,
            )
        except paramiko.BadHostKeyException as exc:
            raise wrong_host_key(self.where, self.known_hosts_file, self.host, self.port, client, exc) from None
        except paramiko.AuthenticationException as exc:
            raise SftpError(f"{self.where}: authentication failed for user {self.username!r}: {exc}") from None
        except paramiko.SSHException as exc:
            raise SftpError(f"{self.where}: SSH negotiation failed: {exc}") from exc
        except OSError as exc:
            raise SftpError(f"{self.where}: cannot connect: {exc}") from exc
