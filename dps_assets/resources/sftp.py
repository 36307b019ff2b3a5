"""DPS's SFTP server, through paramiko.

The server's host key is pinned: it must be in the configured known_hosts file, and a missing or
different key fails closed. Every session is closed on the way out, errors included."""

from __future__ import annotations

import hashlib
import os
import posixpath
import stat
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import paramiko
from dagster import ConfigurableResource
from pydantic import Field

from dps_assets.core.errors import ExchangeError
from dps_assets.core.private_files import private_file

_CHUNK = 32 * 1024


class SftpError(ExchangeError, RuntimeError):
    """Connecting to, or working on, the SFTP server failed. The message says where and why."""


@dataclass(frozen=True)
class RemoteFile:
    name: str
    path: str
    size: int
    mtime: int


@dataclass(frozen=True)
class Upload:
    path: str
    size: int
    sha256: str


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class SftpSession:
    """One open SFTP session. Obtain it from `SftpResource.session()`."""

    def __init__(self, client: paramiko.SFTPClient, where: str, file_mode: int | None = 0o600):
        self._sftp = client
        self.where = where
        self.file_mode = file_mode

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

    def stat(self, path: str) -> RemoteFile | None:
        try:
            attrs = self._sftp.stat(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SftpError(f"{self.where}: cannot stat {path}: {exc}") from exc
        return RemoteFile(posixpath.basename(path), path, attrs.st_size or 0, attrs.st_mtime or 0)

    def upload_atomically(
        self,
        local_path: Path,
        remote_folder: str,
        remote_name: str,
        progress: Callable[[int, int], None] | None = None,
    ) -> Upload:
        """Upload under a temporary name, check the size on the server, then `posix_rename` onto
        the final name, so a reader never sees a partial file under that name. On any failure the
        temporary file is removed and the final name is left as it was."""
        final = posixpath.join(remote_folder, remote_name)
        temporary = posixpath.join(remote_folder, f".{remote_name}.{uuid.uuid4().hex[:12]}.partial")
        try:
            local_size = local_path.stat().st_size
            digest = _file_sha256(local_path)
        except OSError as exc:
            raise SftpError(f"cannot read local file {local_path}: {exc.strerror}") from exc
        try:
            if self.file_mode is not None:
                self._create_private(temporary)
            attrs = self._sftp.put(str(local_path), temporary, callback=progress, confirm=True)
            if attrs.st_size != local_size:
                raise SftpError(
                    f"{self.where}: {temporary} has {attrs.st_size} bytes after upload, expected {local_size}"
                )
            self._sftp.posix_rename(temporary, final)
        except BaseException as exc:
            self._remove_quietly(temporary)
            if isinstance(exc, SftpError):
                raise
            if isinstance(exc, (OSError, EOFError, paramiko.SSHException)):
                raise SftpError(f"{self.where}: upload to {final} failed: {exc}") from exc
            raise
        return Upload(path=final, size=local_size, sha256=digest)

    def _create_private(self, path: str) -> None:
        """Create `path` empty and restrict it before any data is written: the server's default
        mode (often 0644) would let other accounts on it read the children's records."""
        with self._sftp.open(path, "wbx"):
            pass
        try:
            self._sftp.chmod(path, self.file_mode)
        except OSError as exc:
            raise SftpError(
                f"{self.where}: cannot restrict {path} to mode {self.file_mode:04o} ({exc}); nothing "
                "was sent. If this server cannot set modes, set sftp.remote_file_mode to null"
            ) from exc

    def download(self, remote: RemoteFile, local_path: Path) -> str:
        """Fetch to `local_path` (0600) through a temporary file; verify the size against the
        listing; return the SHA-256 of what was received."""
        digest = hashlib.sha256()
        received = 0
        try:
            # private_file: a fresh 0600 temporary, renamed only when the block succeeds.
            with private_file(local_path) as sink, self._sftp.open(remote.path, "rb") as source:
                # Pipelined reads. Not capped: paramiko 5.1 marks a capped prefetch done whenever
                # its in-flight reads drain, and from then on reads one round trip at a time (40x
                # slower on 64 MiB, bench/bench_sftp.py). This loop keeps up with the network, so
                # the prefetch buffer stays small (256 MiB file: ~15 MiB more peak RSS).
                source.prefetch(remote.size)
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    sink.write(chunk)
                    received += len(chunk)
                if received != remote.size:
                    raise SftpError(
                        f"{self.where}: {remote.path} gave {received} bytes, the listing said {remote.size}"
                    )
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise SftpError(f"{self.where}: download of {remote.path} failed: {exc}") from exc
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

    def _remove_quietly(self, path: str) -> None:
        try:
            self._sftp.remove(path)
        except (OSError, paramiko.SSHException, EOFError):
            pass


class SftpResource(ConfigurableResource):
    """DPS's SFTP server. Authenticates with a private key or a password (from the environment)."""

    host: str
    port: int = 22
    username: str
    password: str | None = Field(default=None, description="from an environment variable")
    private_key_file: str | None = None
    private_key_passphrase: str | None = Field(default=None, description="from an environment variable")
    known_hosts_file: str = Field(description="known_hosts file holding the server's pinned host key")
    from_folder: str = Field(description="where DPS picks up End_txt_file.txt")
    to_dfps_folder: str = Field(description="where DPS drops its results (TO_DFPS)")
    processed_folder: str = Field(description="where DPS's files go on the server once delivered")
    connect_timeout_s: float = 15
    banner_timeout_s: float = 15
    auth_timeout_s: float = 15
    io_timeout_s: float = Field(default=60, description="a stalled transfer fails after this long")
    remote_file_mode: int | None = Field(default=0o600, description="mode of uploaded files on the "
                                         "server, set before any data is written; None: the server's")

    @property
    def where(self) -> str:
        return f"sftp://{self.username}@{self.host}:{self.port}"

    @contextmanager
    def session(self) -> Iterator[SftpSession]:
        client = paramiko.SSHClient()
        try:
            try:
                client.load_host_keys(self.known_hosts_file)
            except OSError as exc:
                raise SftpError(
                    f"{self.where}: cannot read known_hosts file {self.known_hosts_file}: {exc.strerror}"
                ) from exc
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
            self._connect(client)
            try:
                sftp = client.open_sftp()
            except (paramiko.SSHException, OSError, EOFError) as exc:
                raise SftpError(f"{self.where}: the server refused an SFTP session: {exc}") from exc
            sftp.get_channel().settimeout(self.io_timeout_s)
            try:
                yield SftpSession(sftp, self.where, self.remote_file_mode)
            finally:
                sftp.close()
        finally:
            client.close()

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
                look_for_keys=False,
                allow_agent=False,
            )
        except paramiko.BadHostKeyException as exc:
            raise SftpError(
                f"{self.where}: the server's host key does not match the pinned key in "
                f"{self.known_hosts_file} ({exc.key.get_name()} {exc.key.fingerprint}); refusing to connect"
            ) from None
        except paramiko.AuthenticationException as exc:
            raise SftpError(f"{self.where}: authentication failed for user {self.username!r}: {exc}") from None
        except paramiko.SSHException as exc:
            if "not found in known_hosts" in str(exc):
                raise SftpError(
                    f"{self.where}: the server's host key is not in {self.known_hosts_file}; "
                    "refusing to connect to an unknown server"
                ) from None
            raise SftpError(f"{self.where}: SSH negotiation failed: {exc}") from exc
        except OSError as exc:
            raise SftpError(f"{self.where}: cannot connect: {exc}") from exc
