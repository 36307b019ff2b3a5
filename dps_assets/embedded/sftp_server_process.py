"""Starting the embedded SFTP server (`dps_assets.embedded.sftp_server`) from Python, as a child
process, and stopping it."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dps_assets.embedded.process import ReadyProcess, start_ready_process
from dps_assets.embedded.sftp_host_key import HOST

DEFAULT_PASSWORD_ENV = "DPS_SFTP_PASSWORD"
DEFAULT_FOLDERS = ("from_folder", "TO_DFPS")


@dataclass
class EmbeddedSftpServer:
    """A running embedded SFTP server; a context manager that stops it on exit."""

    process: ReadyProcess
    port: int
    user: str
    root: Path
    known_hosts_file: Path
    host: str = HOST

    def stop(self) -> int | None:
        """SIGTERM and wait; returns the exit code (0 on a clean shutdown)."""
        return self.process.stop()

    def __enter__(self) -> EmbeddedSftpServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_sftp_server(
    root: str | os.PathLike[str],
    *,
    host_key_file: str | os.PathLike[str],
    known_hosts_file: str | os.PathLike[str],
    user: str = "dps",
    port: int = 0,
    password: str | None = None,
    password_env: str = DEFAULT_PASSWORD_ENV,
    authorized_keys_file: str | os.PathLike[str] | None = None,
    folders: Sequence[str] = DEFAULT_FOLDERS,
    posix_rename: bool = True,
    timeout_s: float = 30,
    log_level: str = "WARNING",
) -> EmbeddedSftpServer:
    """Start the server as a child process and return once it has printed `READY`.
    `posix_rename=False`: a server without OpenSSH's posix-rename extension.

    `password`, when given, is handed to the child in the environment variable `password_env`;
    otherwise the child reads that variable from this process's environment."""
    env = dict(os.environ)
    if password is not None:
        env[password_env] = password
    # Make `dps_assets` importable in the child even when it is not installed.
    source_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source_root, env.get("PYTHONPATH")) if p)
    argv: list[str | os.PathLike[str]] = [
        sys.executable, "-m", "dps_assets.embedded.sftp_server",
        "--root", root,
        "--host-key", host_key_file,
        "--known-hosts", known_hosts_file,
        "--user", user,
        "--port", str(port),
        "--password-env", password_env,
        "--log-level", log_level,
    ]  # fmt: skip
    if authorized_keys_file is not None:
        argv += ["--authorized-keys", authorized_keys_file]
    for folder in folders:
        argv += ["--folder", folder]
    if not posix_rename:
        argv.append("--no-posix-rename")
    process = start_ready_process(argv, name="embedded SFTP server", timeout_s=timeout_s, env=env)
    return EmbeddedSftpServer(
        process=process,
        port=int(process.fields["port"]),
        user=user,
        root=Path(root),
        known_hosts_file=Path(known_hosts_file),
    )
