"""Expiry removes exactly what is older than the rule: archived runs and run logs are aged by the
run stamp in their names; anything else is never touched; the run says what it removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dagster import DagsterInstance

from dps_assets.automation.retention import expire_old_records_job
from dps_assets.core.operations.retention import expired, stamped_at
from dps_assets.resources.local_files import LocalFilesResource

NOW = datetime.now(UTC)


def stamp(days_ago: float) -> str:
    return f"{NOW - timedelta(days=days_ago):%Y%m%dT%H%M%SZ}_1a2b3c4d"


def test_the_rule_reads_the_run_stamp_and_ignores_other_names():
    assert stamped_at(Path(f"FY2026_Q4_{stamp(0)}.log")) is not None
    assert stamped_at(Path("README")) is None
    runs = [Path(stamp(11)), Path(stamp(9)), Path(".partial"), Path("notes")]
    logs = [Path(f"FY2026_Q4_{stamp(4)}.log"), Path(f"FY2026_Q4_{stamp(2)}.log")]
    old = expired(runs, logs, NOW, archive_days=10, log_days=3)
    assert old.archive_runs == [Path(stamp(11))] and old.log_files == [Path(f"FY2026_Q4_{stamp(4)}.log")]


def test_the_daily_job_removes_exactly_what_is_older_and_says_so(tmp_path, dagster_instance: DagsterInstance):
    archive, logs = tmp_path / "archive", tmp_path / "logs"
    old_run = archive / "to_dps" / "FY2019_Q1" / stamp(3000)
    kept_run = archive / "reports" / "FY2026_Q4" / stamp(100)
    not_ours = archive / "from_dps" / "FY2019_Q1" / "kept-by-hand"
    for folder in (old_run, kept_run, not_ours):
        folder.mkdir(parents=True)
        (folder / "End_txt_file.txt").write_text("synthetic")
    old_log = logs / "to_dps" / f"FY2019_Q1_{stamp(500)}.log"
    kept_log = logs / "from_dps" / f"FY2026_Q4_{stamp(10)}.log"
    for log in (old_log, kept_log):
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("INFO counts only")
    alerts = logs / "alerts.log"
    alerts.write_text("{}\n")

    result = expire_old_records_job.execute_in_process(
        instance=dagster_instance,
        resources={"local_files": LocalFilesResource(archive_root=str(archive), log_root=str(logs),
                                                     work_root=str(tmp_path / "work"))},
        run_config={"ops": {"expire_old_records": {"config": {"archive_days": 2555, "log_days": 400}}}})
    assert result.success
    assert not old_run.exists() and not old_log.exists()
    assert kept_run.exists() and not_ours.exists() and kept_log.exists() and alerts.exists()
    [event] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    metadata = event.event_specific_data.metadata
    assert metadata["archive_runs_removed"].value == 1 and metadata["log_files_removed"].value == 1
    assert metadata["removed"].value == [str(old_run), str(old_log)]
