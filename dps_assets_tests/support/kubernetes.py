"""A Secret's volume as the kubelet lays it out, for the image's entry point to read."""

from __future__ import annotations

import os
from pathlib import Path


def kubernetes_secret(folder: Path, secrets: dict[str, str], group: int | None = None) -> Path:
    """As the kubelet mounts a Secret (the Helm values' defaultMode 0400 with fsGroup `group`:
    files 0440 of that group): the files in a timestamped folder, `..data` pointing at it, and one
    link per key through `..data`."""
    payload = folder / "..2026_12_06_12_00_00.000000001"
    payload.mkdir(parents=True)
    for key, value in secrets.items():
        (payload / key).write_text(value)
        if group is not None:
            os.chown(payload / key, 0, group)
        (payload / key).chmod(0o440)
    (folder / "..data").symlink_to(payload.name)
    for key in secrets:
        (folder / key).symlink_to(f"..data/{key}")
    return folder
