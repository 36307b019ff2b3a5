"""The daily retention job: archived runs and log files older than the configured retention are
deleted, and the run says what it removed (counts and paths, never content).

No `from __future__ import annotations` here: Dagster reads the op's config type from its signature."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    Config,
    DefaultScheduleStatus,
    MetadataValue,
    OpExecutionContext,
    Output,
    ScheduleDefinition,
    job,
    op,
)
from pydantic import Field

from dps_assets.core.operations.retention import expired
from dps_assets.resources.local_files import LocalFilesResource


class RetentionConfig(Config):
    archive_days: int = Field(description="archived runs (sent, received, reports) kept this many days")
    log_days: int = Field(description="run log files kept this many days")


@op(description="Deletes archived runs and log files older than the retention; lists what it removed.")
def expire_old_records(context: OpExecutionContext, config: RetentionConfig,
                       local_files: LocalFilesResource) -> Output[dict]:
    archive, logs = Path(local_files.archive_root), Path(local_files.log_root)
    runs = [p for p in archive.glob("*/*/*") if p.is_dir()] if archive.is_dir() else []
    log_files = [p for p in logs.glob("*/*.log") if p.is_file()] if logs.is_dir() else []
    old = expired(runs, log_files, datetime.now(UTC), config.archive_days, config.log_days)
    for folder in old.archive_runs:
        shutil.rmtree(folder)
    for path in old.log_files:
        path.unlink()
    removed = [str(p) for p in [*old.archive_runs, *old.log_files]]
    context.log.info(f"removed {len(old.archive_runs)} archived run(s) older than {config.archive_days} days and "
                     f"{len(old.log_files)} log file(s) older than {config.log_days} days"
                     + (f": {', '.join(removed)}" if removed else ""))
    return Output({"archive_runs": len(old.archive_runs), "log_files": len(old.log_files)}, metadata={
        "archive_runs_removed": len(old.archive_runs), "log_files_removed": len(old.log_files),
        "removed": MetadataValue.json(removed)})


@job(description="Daily: archived runs and run logs older than the agency's retention periods are deleted.")
def expire_old_records_job():
    expire_old_records()


def build_retention_schedule(archive_days: int, log_days: int, running: bool) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="daily_retention", cron_schedule="30 3 * * *", execution_timezone="America/Chicago",
        job=expire_old_records_job,
        run_config={"ops": {"expire_old_records": {"config": {"archive_days": archive_days, "log_days": log_days}}}},
        default_status=DefaultScheduleStatus.RUNNING if running else DefaultScheduleStatus.STOPPED,
        description=f"Deletes archived runs older than {archive_days} days and run logs older than "
        f"{log_days} days, every day at 3:30 AM Central time.")
