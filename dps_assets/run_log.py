"""One log file per run under logs/to_dps/ or logs/from_dps/, next to Dagster's own event log.

Lines carry counts, paths and checksums only: never a child's name or date of birth."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from dagster import AssetExecutionContext

from dps_assets.quarters import FiscalQuarter
from dps_assets.resources.local_files import FILE_MODE, LocalFilesResource, run_stamp


def run_started_at(context: AssetExecutionContext) -> datetime:
    record = context.instance.get_run_record_by_id(context.run_id)
    if record is None or record.create_timestamp is None:
        return datetime.now(timezone.utc)
    return record.create_timestamp.astimezone(timezone.utc)


def this_run_stamp(context: AssetExecutionContext) -> str:
    """Shared by every step of a run, so a run's log and archive folders line up."""
    return run_stamp(context.run_id, run_started_at(context))


class RunLog:
    """Writes to Dagster's log and appends to this run's log file (steps may run in separate
    processes; each line is one append)."""

    def __init__(self, context: AssetExecutionContext, files: LocalFilesResource, half: str,
                 quarter: FiscalQuarter):
        self._context = context
        self._step = context.op_handle.name if hasattr(context, "op_handle") else "step"
        self.path = files.log_folder(half) / f"{quarter.tag}_{this_run_stamp(context)}.log"

    def info(self, message: str) -> None:
        self._context.log.info(message)
        self._append("INFO", message)

    def warning(self, message: str) -> None:
        self._context.log.warning(message)
        self._append("WARNING", message)

    def error(self, message: str) -> None:
        self._context.log.error(message)
        self._append("ERROR", message)

    def _append(self, level: str, message: str) -> None:
        moment = datetime.now(timezone.utc).isoformat(timespec="seconds")
        line = f"{moment} {level:<7} {self._step}: {message}\n".encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


def log_path_for(files: LocalFilesResource, half: str, quarter: FiscalQuarter, stamp: str) -> Path:
    return Path(files.log_root, half, f"{quarter.tag}_{stamp}.log")
