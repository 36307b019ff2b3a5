"""A disk that fills up for real: a tiny tmpfs mounted in the test's folder (the tests run as
root, as bin/bootstrap does), so writes fail with ENOSPC where they would in production."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SMALL_DISK_SIZE = "200k"


@contextmanager
def mounted_tmpfs(mount_point: Path, size: str = SMALL_DISK_SIZE) -> Iterator[Path]:
    """A tmpfs of `size` (mount's spelling: `200k`) on the new folder `mount_point`, 0700,
    unmounted at the end."""
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a small tmpfs (the full-disk test needs root): {mounted.stderr.strip()}",
                    pytrace=False)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 200 KiB tmpfs mounted for this test."""
    with mounted_tmpfs(tmp_path / "small_disk") as mount_point:
        yield mount_point
