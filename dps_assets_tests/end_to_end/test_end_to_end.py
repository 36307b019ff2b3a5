"""A whole quarter on the embedded stack, driven by a real Dagster daemon: `dagster dev` on a
persistent DAGSTER_HOME, the SFTP sensor picking up the simulated DPS's answer, the SMTP server
receiving the email. Then the UI, in headless Chromium."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from openpyxl import load_workbook

from dps_assets.core.dps_files.reading import parse_counts, parse_results, reconcile
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.embedded.dagster_dev import DagsterDev, free_port
from dps_assets.embedded.demo import DemoOutcome, run_quarter
from dps_assets.embedded.stack import EmbeddedStack, StackLayout
from dps_assets_tests.conftest import FIRST_QUARTER, TODAY
from dps_assets_tests.support.e2e_stack import stack_config, stack_with_data
from dps_assets_tests.support.privacy import files_under, leaks, synthetic_identities

pytestmark = pytest.mark.e2e
QUARTER = FiscalQuarter.latest_closed(TODAY)  # FY2026-Q4
PASSWORD = "e2e-only-password"
GROUPS = {
    "to_dps": ["dps_export", "dps_export_rejected", "dps_export_files", "dps_submission"],
    "from_dps": ["dps_results", "dps_counts"],
    "impact": ["sa_98", "county_region_lookup"],
    "reports": ["runaway_event_matches", "impact_not_in_dps_report", "dps_not_in_impact_report",
                "dps_total_runaway_events_report"],
    "delivery": ["dps_report_delivery"],
}


class Running:
    def __init__(self, layout: StackLayout, dagster: DagsterDev, outcome: DemoOutcome):
        self.layout, self.dagster, self.outcome = layout, dagster, outcome


@pytest.fixture(scope="module")
def running(tmp_path_factory, embedded_data: Path) -> Iterator[Running]:
    layout, settings = stack_with_data(tmp_path_factory.mktemp("stack"), embedded_data, PASSWORD, TODAY)
    with EmbeddedStack(layout, settings) as stack:
        config = stack_config(layout, stack)
        env = {"DPS_CONFIG": str(config), "DPS_SFTP_PASSWORD": PASSWORD}
        with DagsterDev(layout.base / "dagster_home", env, port=free_port()) as dagster:
            yield Running(layout, dagster, run_quarter(layout, dagster, QUARTER, timeout_s=600))


def test_a_whole_quarter_runs_by_itself(running: Running):
    layout, outcome = running.layout, running.outcome

    [email] = outcome.emails
    # The demo configuration's prefix, which asks the agency's mail system to encrypt it.
    assert email["Subject"] == f"[SECURE] DPS missing-person reconciliation {QUARTER.label}"
    assert email.get_body(("plain",)).get_content().startswith("CONFIDENTIAL: the attached workbooks hold")
    names = sorted(a.get_filename() for a in email.iter_attachments())
    assert names == [f"DPS_not_in_IMPACT_{QUARTER.tag}.xlsx", f"DPS_total_runaway_events_{QUARTER.tag}.xlsx",
                     f"IMPACT_not_in_DPS_{QUARTER.tag}.xlsx"]

    # DPS's answer was archived; its numbers agree with what was sent and with the reports.
    [archived] = list((layout.base / "archive" / "from_dps" / QUARTER.tag).iterdir())
    results = parse_results((archived / "Dfps-missing-person-results.txt").read_bytes(), "results")
    counts = parse_counts((archived / "Dfps-missing-person-counts.txt").read_bytes(), "counts")
    [sent] = list((layout.base / "archive" / "to_dps" / QUARTER.tag).iterdir())
    submitted_rows = (sent / "End_txt_file.txt").read_bytes().count(b"\r\n") - 1
    assert reconcile(counts, results, submitted_rows).holds
    in_window = results[results["MISSING_DATE"].dt.date.between(QUARTER.window_start, QUARTER.window_end)]
    assert 0 < len(in_window) < len(results)  # the simulated DPS sends a few entries outside the window

    [reports] = list((layout.base / "archive" / "reports" / QUARTER.tag).iterdir())
    totals = list(load_workbook(reports / f"DPS_total_runaway_events_{QUARTER.tag}.xlsx",
                                read_only=True)["Totals"].iter_rows(values_only=True))
    assert totals[-1][0] == "STATEWIDE"
    assert totals[-1][-1] == len(in_window.drop_duplicates(["DFPS_PERSON_ID", "MISSING_DATE"]))
    for name, sheet in (("IMPACT_not_in_DPS", "IMPACT not in DPS"), ("DPS_not_in_IMPACT", "DPS not in IMPACT")):
        workbook = load_workbook(reports / f"{name}_{QUARTER.tag}.xlsx", read_only=True)
        rows = list(workbook[sheet].iter_rows(values_only=True))
        assert len(rows) > 1, f"the simulated discrepancies should appear in {name}"

    # The sensor handed the files over once; DPS's folder was cleared into the processed folder.
    with DagsterInstance.from_config(str(running.dagster.home)) as instance:
        receiving = instance.get_runs(RunsFilter(job_name="receive_from_dps"))
        assert [r.status for r in receiving] == [DagsterRunStatus.SUCCESS]
        assert receiving[0].tags["fiscal_quarter"] == QUARTER.label
    to_dfps = layout.sftp_root / "TO_DFPS"
    assert sorted(p.name for p in to_dfps.iterdir()) == ["processed"]


def test_no_child_name_or_birth_date_escapes(running: Running):
    layout = running.layout
    names, dobs = synthetic_identities(layout.warehouse, layout.tcic)
    texts = [(str(p), p.read_text(errors="replace")) for p in files_under(layout.base / "logs")]
    email = running.outcome.emails[0]
    texts.append(("email", email["Subject"] + "\n" + email.get_body(("plain",)).get_content()))
    texts += [(f"file name {p}", str(p.relative_to(layout.base))) for p in files_under(layout.base)]
    with DagsterInstance.from_config(str(running.dagster.home)) as instance:
        for run in instance.get_runs():
            for entry in instance.all_logs(run.run_id):
                texts.append((f"event log of run {run.run_id[:8]}", f"{entry.user_message} {entry.dagster_event}"))
    assert len(texts) > 100
    assert leaks(texts, names, dobs) == []


def test_the_ui_shows_the_lineage_and_launches_a_quarter_picked_by_its_name(running: Running, tmp_path: Path):
    from dps_assets_tests.support.browser import Browser

    url = running.dagster.url
    with Browser(tmp_path / "chromium") as browser:
        browser.open(f"{url}/asset-groups")
        for group in GROUPS:
            browser.wait_for_text(group)
        for group, assets in GROUPS.items():
            browser.open(f"{url}/locations/dps_assets/asset-groups/{group}/lineage")
            for asset in assets:
                browser.wait_for_source(asset)
            browser.screenshot(tmp_path / f"lineage_{group}.png")

        # Quarters go by their FY names: an asset's partitions are listed by them, a URL selects
        # one by it, and the launch dialog's picker finds one by it.
        browser.open(f"{url}/assets/dps_export?view=partitions&partition={QUARTER.label}")
        browser.wait_for_text(FIRST_QUARTER.label)  # the list runs from the demo's first quarter...
        assert FIRST_QUARTER.previous().label not in browser.driver.page_source  # ...and not before
        browser.wait_for_text("Materialized (1)")  # ...and the demo's quarter is the one materialised
        browser.screenshot(tmp_path / "partitions.png")
        other = QUARTER.previous()
        assert other.label == "FY2026-Q3"
        browser.launch_partition(url, "send_to_dps", other.label)
        browser.screenshot(tmp_path / "launched.png")

    with DagsterInstance.from_config(str(running.dagster.home)) as instance:
        launched = instance.get_runs(RunsFilter(job_name="send_to_dps",
                                                tags={"dagster/partition": other.partition_key}))
    assert len(launched) == 1
    assert running.dagster.wait_for_run(launched[0].run_id, timeout_s=300) == "SUCCESS"
    with DagsterInstance.from_config(str(running.dagster.home)) as instance:
        assert instance.get_run_by_id(launched[0].run_id).tags["fiscal_quarter"] == "FY2026-Q3"
