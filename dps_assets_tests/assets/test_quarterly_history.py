"""The history across quarters materialised over five delivered quarters of two fiscal years
(FY2025-Q3 to FY2026-Q3), whose reports were written by the report registry and the workbook
writer into the archive and whose deliveries are in the ledger: the workbook's sheets and columns,
the Power BI CSV, a quarter delivered again replacing its figures, quarters filled from the
archive alone, and the sensor that refreshes the history after a delivery."""

from __future__ import annotations

import csv
import os
import shutil
import stat
import uuid
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    RunRequest,
    SkipReason,
    build_sensor_context,
    materialize,
)
from openpyxl import load_workbook

from dps_assets.assets.history import CSV_NAME, STORE_NAME, WORKBOOK_NAME, quarterly_history
from dps_assets.automation.history_refresh import build_history_refresh_sensor
from dps_assets.automation.jobs import refresh_history_job
from dps_assets.config.schema import DirectoriesConfig, load_config
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.reconciliation.reports import FYTD_TOTAL
from dps_assets.resources import build_resources
from dps_assets.resources.local_files import LocalFilesResource
from dps_assets_tests.conftest import REPO
from dps_assets_tests.support.history_archive import DeliveredQuarter, deliver_quarter

QUARTERS = [FiscalQuarter(2025, 3), FiscalQuarter(2025, 4), FiscalQuarter(2026, 1), FiscalQuarter(2026, 2),
            FiscalQuarter(2026, 3)]
# Each quarter's receiving run: the fifth day of the month after it ends.
WHEN = {q: f"{q.end.year}{q.end.month + 1:02d}05T030000Z" for q in QUARTERS}
TOTALS, IMPACT, DPS = "dps_total_runaway_events_report", "impact_not_in_dps_report", "dps_not_in_impact_report"


@pytest.fixture
def resources(tmp_path: Path) -> dict:
    """The two resources the history uses, as the demo configures them, on this test's folders."""
    config = load_config(REPO / "dps_config.demo.yml").model_copy(update={"directories": DirectoriesConfig(
        archive_root=str(tmp_path / "archive"), log_root=str(tmp_path / "logs"), work_root=str(tmp_path / "work"))})
    built = build_resources(config)
    return {"exchange_rules": built["exchange_rules"], "local_files": built["local_files"]}


def refresh(resources: dict, instance: DagsterInstance) -> dict:
    result = materialize([quarterly_history], resources=resources, instance=instance)
    [materialisation] = result.asset_materializations_for_node("quarterly_history")
    return {k: v.value for k, v in materialisation.metadata.items()}


def csv_rows(files: LocalFilesResource) -> list[dict]:
    with open(Path(files.archive_root, "history", CSV_NAME), newline="", encoding="ascii") as handle:
        return list(csv.DictReader(handle))


def statewide(rows: list[dict], quarter: FiscalQuarter, measure: str, period: str = "QUARTER") -> int:
    [row] = [r for r in rows if (r["FISCAL_QUARTER"], r["MEASURE"], r["PERIOD"], r["REGION"])
             == (quarter.label, measure, period, "STATEWIDE")]
    return int(row["VALUE"])


def expected_statewide(delivered: DeliveredQuarter) -> dict[str, int]:
    """The quarter's own statewide figures, counted from its report frames directly."""
    label = delivered.quarter.label
    totals = delivered.frames[TOTALS]
    not_in_dps = int((delivered.frames[IMPACT]["FISCAL_QUARTER"] == label).sum())
    return {
        "DPS_RUNAWAY_EVENTS": int(totals[label].iloc[-1]),
        "IMPACT_EVENTS_NOT_IN_DPS": not_in_dps,
        "DPS_ENTRIES_NOT_IN_IMPACT": int((delivered.frames[DPS]["FISCAL_QUARTER"] == label).sum()),
        "IMPACT_RUNAWAY_EVENTS": delivered.events_in_quarter,
        "IMPACT_EVENTS_REPORTED_TO_DPS": delivered.events_in_quarter - not_in_dps,
    }


@pytest.fixture
def five_quarters(resources: dict, dagster_instance: DagsterInstance) -> dict[FiscalQuarter, DeliveredQuarter]:
    files = resources["local_files"]
    return {q: deliver_quarter(files, q, seed=20 + i, when=WHEN[q], instance=dagster_instance, children=400 + i)
            for i, q in enumerate(QUARTERS)}


def test_five_quarters_across_two_fiscal_years(resources, dagster_instance, five_quarters):
    metadata = refresh(resources, dagster_instance)
    files = resources["local_files"]
    assert metadata["quarters"] == 5 and metadata["latest_quarter"] == "FY2026-Q3"
    assert metadata["quarters_covered"] == [q.label for q in QUARTERS]
    latest = expected_statewide(five_quarters[QUARTERS[-1]])
    assert metadata["latest_dps_runaway_events"] == latest["DPS_RUNAWAY_EVENTS"]
    assert metadata["latest_children_sent"] == 404

    rows = csv_rows(files)
    assert list(rows[0]) == ["FISCAL_QUARTER", "FISCAL_YEAR", "QUARTER", "QUARTER_START", "QUARTER_END", "MEASURE",
                             "PERIOD", "REGION", "VALUE"]
    for quarter, delivered in five_quarters.items():
        for measure, value in expected_statewide(delivered).items():
            assert statewide(rows, quarter, measure) == value, (quarter, measure)
        assert statewide(rows, quarter, "DPS_RUNAWAY_EVENTS", "FISCAL_YEAR_TO_DATE") == \
            int(delivered.frames[TOTALS][FYTD_TOTAL].iloc[-1])
        fytd_not_in_dps = statewide(rows, quarter, "IMPACT_EVENTS_NOT_IN_DPS", "FISCAL_YEAR_TO_DATE")
        assert fytd_not_in_dps == len(delivered.frames[IMPACT])
        assert statewide(rows, quarter, "CHILDREN_SENT", "FISCAL_YEAR_TO_DATE") == delivered.children_sent
    # Regions add up to STATEWIDE; every value is a count.
    region_seven = [r for r in rows if r["MEASURE"] == "DPS_RUNAWAY_EVENTS" and r["REGION"] == "7"]
    assert len(region_seven) == 10  # five quarters, two periods
    assert all(r["VALUE"].isdigit() for r in rows)

    path = f"{files.archive_root}/history/{WORKBOOK_NAME}"
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["Statewide", "DPS runaway events", "IMPACT not in DPS", "DPS not in IMPACT",
                                   "DPS share of IMPACT events", "Children sent", "About"]
    sheet = list(workbook["Statewide"].iter_rows(values_only=True))
    assert sheet[0] == ("MEASURE", *(q.label for q in QUARTERS), "CHANGE_FROM_PREVIOUS_QUARTER",
                        "CHANGE_FROM_A_YEAR_EARLIER")
    assert sheet[1][:6] == ("DPS runaway events", *(expected_statewide(five_quarters[q])["DPS_RUNAWAY_EVENTS"]
                                                    for q in QUARTERS))
    assert sheet[1][6] == sheet[1][5] - sheet[1][4] and sheet[1][7] == sheet[1][5] - sheet[1][1]
    by_region = list(workbook["DPS runaway events"].iter_rows(values_only=True))
    assert by_region[0] == ("REGION", "FISCAL_YEAR", "Q1", "Q2", "Q3", "Q4", "FYTD_TOTAL")
    assert by_region[1][:2] == (1, "FY2025") and by_region[2][:2] == (1, "FY2026")
    assert by_region[1][2:4] == (None, None)  # FY2025-Q1 and Q2 were not delivered
    statewide_rows = [r for r in by_region if r[0] == "STATEWIDE"]
    assert [r[1] for r in statewide_rows] == ["FY2025", "FY2026"]
    assert statewide_rows[1][2:5] == tuple(expected_statewide(five_quarters[FiscalQuarter(2026, n)])
                                           ["DPS_RUNAWAY_EVENTS"] for n in (1, 2, 3))
    assert len(load_workbook(path)["Statewide"]._charts) == 1  # the statewide figures' chart

    folder = Path(files.archive_root, "history")
    for name in (STORE_NAME, WORKBOOK_NAME, CSV_NAME):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700


def test_a_quarter_delivered_again_replaces_its_figures(resources, dagster_instance, five_quarters):
    refresh(resources, dagster_instance)
    files = resources["local_files"]
    before = csv_rows(files)
    again = deliver_quarter(files, FiscalQuarter(2026, 1), seed=99, when="20260310T120000Z", instance=dagster_instance,
                            events=90, entries=45)
    metadata = refresh(resources, dagster_instance)
    assert metadata["quarters_counted"] == ["FY2026-Q1"] and metadata["quarters_replaced"] == ["FY2026-Q1"]
    after = csv_rows(files)
    assert len(after) == len(before)  # replaced, not added
    q1 = [r for r in after if r["FISCAL_QUARTER"] == "FY2026-Q1"]
    assert len(q1) == len([r for r in before if r["FISCAL_QUARTER"] == "FY2026-Q1"])
    assert statewide(after, again.quarter, "DPS_RUNAWAY_EVENTS") == expected_statewide(again)["DPS_RUNAWAY_EVENTS"]
    assert [r for r in after if r["FISCAL_QUARTER"] != "FY2026-Q1"] == \
        [r for r in before if r["FISCAL_QUARTER"] != "FY2026-Q1"]
    # Nothing new: nothing counted again, the same file.
    assert refresh(resources, dagster_instance)["quarters_counted"] == []
    assert csv_rows(files) == after


def test_quarters_delivered_before_the_ledger_are_filled_from_the_archive(resources, dagster_instance):
    files = resources["local_files"]
    # Three quarters known only to the archive (delivered before this instance), two in the ledger.
    archived = {q: deliver_quarter(files, q, seed=30 + i, when=WHEN[q]) for i, q in enumerate(QUARTERS[:3])}
    for i, q in enumerate(QUARTERS[3:]):
        deliver_quarter(files, q, seed=40 + i, when=WHEN[q], instance=dagster_instance)
    # A quarter whose reports the ledger has but never delivered is left out.
    undelivered = FiscalQuarter(2025, 2)
    deliver_quarter(files, undelivered, seed=50, when="20250305T030000Z")
    dagster_instance.report_runless_asset_event(AssetMaterialization(TOTALS, partition=undelivered.partition_key))

    metadata = refresh(resources, dagster_instance)
    assert metadata["quarters_covered"] == [q.label for q in QUARTERS]
    rows = csv_rows(files)
    for quarter, delivered in archived.items():
        assert statewide(rows, quarter, "DPS_RUNAWAY_EVENTS") == expected_statewide(delivered)["DPS_RUNAWAY_EVENTS"]
        assert statewide(rows, quarter, "CHILDREN_SENT", "FISCAL_YEAR_TO_DATE") == delivered.children_sent
        # IMPACT's events are in the ledger only: not known for these.
        assert not [r for r in rows if r["FISCAL_QUARTER"] == quarter.label and r["MEASURE"] == "IMPACT_RUNAWAY_EVENTS"]
    about = dict(r[:2] for r in load_workbook(f"{files.archive_root}/history/{WORKBOOK_NAME}",
                                              read_only=True)["About"].iter_rows(values_only=True))
    assert "archived reports" in about["FY2025-Q3 counted from"]

    # The retention deletes a quarter's archived reports: its figures stay.
    shutil.rmtree(archived[QUARTERS[0]].folder.parent)
    assert refresh(resources, dagster_instance)["quarters_covered"] == [q.label for q in QUARTERS]
    assert csv_rows(files) == rows


def test_the_history_is_refreshed_after_each_delivery(resources, dagster_instance):
    files = resources["local_files"]
    sensor = build_history_refresh_sensor(refresh_history_job, running=True)
    first = sensor(build_sensor_context(instance=dagster_instance))
    assert isinstance(first, SkipReason) and "no quarter's reports have been delivered" in first.skip_message

    deliver_quarter(files, QUARTERS[0], seed=1, when=WHEN[QUARTERS[0]], instance=dagster_instance)
    deliver_quarter(files, QUARTERS[1], seed=2, when=WHEN[QUARTERS[1]], instance=dagster_instance)
    result = sensor(build_sensor_context(instance=dagster_instance))
    [request] = result.run_requests
    assert isinstance(request, RunRequest) and request.tags["dps/refreshed_after"] == "FY2025-Q4"
    assert sensor.job_name == refresh_history_job.name
    assert refresh_history_job.selection.resolve([quarterly_history]) == {AssetKey("quarterly_history")}

    # The refresh's run dies (a host crash): the next tick asks again, under a new run key.
    recorded_run(dagster_instance, request.tags, DagsterRunStatus.FAILURE)
    [again] = sensor(build_sensor_context(instance=dagster_instance)).run_requests
    assert again.run_key != request.run_key and again.tags == request.tags
    # While a refresh is in flight, nothing more is asked for.
    in_flight = recorded_run(dagster_instance, again.tags, DagsterRunStatus.STARTED)
    busy = sensor(build_sensor_context(instance=dagster_instance))
    assert isinstance(busy, SkipReason) and f"run {in_flight.run_id[:8]} is started" in busy.skip_message

    # It succeeds: the history counts every delivery so far; the next delivery asks for another.
    dagster_instance.delete_run(in_flight.run_id)
    dagster_instance.add_run(in_flight.with_status(DagsterRunStatus.SUCCESS))
    idle = sensor(build_sensor_context(instance=dagster_instance))
    assert isinstance(idle, SkipReason) and "counts every delivery" in idle.skip_message
    deliver_quarter(files, QUARTERS[2], seed=3, when=WHEN[QUARTERS[2]], instance=dagster_instance)
    [next_one] = sensor(build_sensor_context(instance=dagster_instance)).run_requests
    assert next_one.run_key not in (request.run_key, again.run_key)
    assert next_one.tags["dps/refreshed_after"] == QUARTERS[2].label


def recorded_run(instance: DagsterInstance, tags: dict, status: DagsterRunStatus) -> DagsterRun:
    """A run of the refresh job as the daemon would have launched it from the sensor's request,
    in the given state."""
    return instance.add_run(DagsterRun(job_name=refresh_history_job.name, run_id=str(uuid.uuid4()),
                                       tags=tags, status=status))
