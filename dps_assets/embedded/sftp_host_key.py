"""The embedded SFTP server's host key and the known_hosts line clients pin it with."""

from __future__ import annotations

import os
from pathlib import Path

import asyncssh

HOST = "127.0.0.1"


def write_private_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600, atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(data)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """The ed25519 host key in `path`, generated there (0600) if the file does not exist yet."""
    if path.exists():
        return asyncssh.read_private_key(str(path))
    key = asyncssh.generate_private_key("ssh-ed25519")
    write_private_file(path, key.export_private_key())
    return key


def known_hosts_line(key: asyncssh.SSHKey, port: int, host: str = HOST) -> str:
    algorithm, blob = key.export_public_key("openssh").decode("ascii").split()[:2]
    return f"[{host}]:{port} {algorithm} {blob}\n"
