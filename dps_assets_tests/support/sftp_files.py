"""Small helpers of the SFTP tests: local files to upload, checksums, and the temporary files a
transfer must never leave behind."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_local(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def partials(folder: Path) -> list[str]:
    """Temporary upload/download files left anywhere under `folder`."""
    return [str(p) for p in folder.rglob("*.partial")]
