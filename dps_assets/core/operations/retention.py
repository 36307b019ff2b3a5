"""Which archived runs and log files have outlived their retention (the CHCCS runbook's rule:
children's records are kept as long as the schedule says, then deleted). Pure: the retention job
lists the folders and deletes what this returns.

An archived run's folder and a run's log file are named with the run's UTC start
(`20261122T031500Z_1a2b3c4d`, `FY2026_Q4_20261122T031500Z_1a2b3c4d.log`): their age is read from
that name, not from the file system's times, which a restore or a copy changes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

_STAMP = re.compile(r"(\d{8}T\d{6}Z)_[0-9a-f]{8}")


def stamped_at(path: Path) -> datetime | None:
    """The run start a run folder's or log file's name carries, or None for any other name."""
    match = _STAMP.search(path.name)
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class Expired:
    archive_runs: list[Path]
    log_files: list[Path]


def expired(archive_runs: Iterable[Path], log_files: Iterable[Path], now: datetime,
            archive_days: int, log_days: int) -> Expired:
    """The archived runs older than `archive_days` and the log files older than `log_days`.
    Anything whose name carries no run stamp is never expired (it is not ours)."""
    def older(paths: Iterable[Path], days: int) -> list[Path]:
        limit = now - timedelta(days=days)
        return sorted(p for p in paths if (at := stamped_at(p)) is not None and at < limit)
    return Expired(older(archive_runs, archive_days), older(log_files, log_days))
