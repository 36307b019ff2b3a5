"""The project's lock files as name -> version (requirements.lock, requirements-runtime.lock,
deploy/image/requirements.lock)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def pins(lock: str) -> dict[str, str]:
    """name -> version of a lock, with or without hashes (`name==version \\`, then `--hash=` lines)."""
    return dict(re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\]+)", (REPO / lock).read_text(), re.MULTILINE))
