"""The receiving half materialised for one quarter: DPS files on a real OpenSSH server, the
DuckDB warehouse, the SMTP server. DPS's files are written by hand so every number is known."""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from dagster import AssetKey, AssetSelection, materialize
from openpyxl import load_workbook

from dps_assets.assets import receiving, report_delivery, reports, sending
from dps_assets.assets.dps_fetch import file_tag
from dps_assets.assets.receiving_checks import (
    counties_have_regions,
    dps_counts_reconcile,
    dps_entries_in_window,
    dps_person_ids_were_submitted,
)
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.schemas import SA_98_DATE_COLUMNS
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets_tests.conftest import exchange_instance
from dps_assets_tests.support.privacy import files_under, leaks, synthetic_identities

Q4 = FiscalQuarter(2026, 4)
SENDING = [sending.dps_export, sending.dps_export_files, sending.dps_submission]
RECEIVING = [receiving.dps_results, receiving.dps_counts, receiving.sa_98, receiving.county_region_lookup,
             reports.runaway_event_matches, reports.impact_not_in_dps_report,
             reports.dps_not_in_impact_report, reports.dps_total_runaway_events_report,
             report_delivery.dps_report_delivery]
CHECKS = [dps_counts_reconcile, counties_have_regions, dps_person_ids_were_submitted, dps_entries_in_window]
HEADER = "DFPS_PERSON_ID|NIC|LAST_NAME|FIRST_NAME|DOB|SEX|RACE|MKE|ORI|AGENCY_COUNTY|ENTRY_DATE|MISSING_DATE|CLEAR_DATE"


def ymd(day) -> str:
    return pd.Timestamp(day).strftime("%Y%m%d")


class Scenario:
    """Sends Q4, then builds DPS's answer from the submitted children and sa_98's events."""

    def __init__(self, resources, instance, server):
        self.resources, self.instance, self.server = resources, instance, server
        sent = materialize(SENDING, partition_key=Q4.partition_key, resources=resources, instance=instance)
        self.export = sent.output_for_node("dps_export", "dps_export")
        events = resources["warehouse"].sa_98(Q4.fiscal_year_start, Q4.fiscal_year_end)
        events.columns = [c.upper() for c in events.columns]
        events["RUNAWAY_DATE"] = pd.to_datetime(events["RUNAWAY_DATE"])
        submitted = set(self.export["PERSON_ID"])
        in_window = events[events["RUNAWAY_DATE"].between(pd.Timestamp(Q4.window_start),
                                                          pd.Timestamp(Q4.window_end))]
        self.events_in_window = in_window
        # DPS finds three of them: children who were submitted, one event each.
        candidates = in_window[in_window["PERSON_ID"].isin(submitted)].sort_values("RUNAWAY_EVENT_ID")
        self.matched = candidates.drop_duplicates("PERSON_ID").head(3)
        children_with_events = set(events["PERSON_ID"])
        self.no_event_child = int(next(p for p in self.export["PERSON_ID"] if p not in children_with_events))

    def results_lines(self) -> list[str]:
        lines, nic = [], 100
        for _, event in self.matched.iterrows():
            nic += 1
            day = ymd(event["RUNAWAY_DATE"] + pd.Timedelta(days=1))
            lines.append(f"{event['PERSON_ID']}|M{nic:09d}|DOE|JAN|20100101|M|W|EMJ|TX2270000|Travis|{day}|{day}|")
        # A second agency reporting the first episode (one DPS runaway event, two entries).
        first = lines[0].split("|")
        lines.append("|".join([first[0], "M000000999", *first[2:8], "TX0150000", "Bexar", *first[10:]]))
        lines.append(f"{self.no_event_child}|M000000201|ROE|RAY|20100101|F|B|EME|TX1010000|Harris|20260702|20260701|20260705")
        lines.append(f"{self.no_event_child}|M000000202|ROE|RAY|20100101|F|B|EME|TX9990000|Caddo Parish"
                     "|20260802|20260801|")
        lines.append(f"{self.no_event_child}|M000000203|ROE|RAY|20100101|F|B|EME|TX1010000|Harris|20250802|20250801|20250805")
        return lines

    def put(self, results: str, counts: str) -> None:
        for name, text in (("Dfps-missing-person-results.txt", results), ("Dfps-missing-person-counts.txt", counts)):
            path = self.server.to_dfps_folder / name
            path.write_bytes(("\ufeff" + text).encode("utf-8"))
            os.utime(path)

    def good_files(self) -> tuple[str, str]:
        lines = self.results_lines()
        persons = len({line.split("|")[0] for line in lines})
        results = "\r\n".join([HEADER, *lines]) + "\r\n\r\n"
        counts = (f"MEASURE|COUNT\r\nRECORDS_RECEIVED|{len(self.export)}\r\nPERSONS_MATCHED|{persons}\r\n"
                  f"MISSING_PERSON_ENTRIES|{len(lines)}\r\nSEARCH_RUN_SECONDS|12\r\n")
        return results, counts

    def receive(self, run_config=None, raise_on_error=True, tags=None):
        # The sending assets are there to be loaded (a check reads dps_export), not re-run.
        return materialize(SENDING + RECEIVING + CHECKS, partition_key=Q4.partition_key,
                           resources=self.resources, instance=self.instance,
                           run_config=run_config or {}, selection=AssetSelection.assets(*RECEIVING),
                           raise_on_error=raise_on_error, tags=tags)


def sheet_rows(path: Path, sheet: str) -> list[tuple]:
    return list(load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True))


@pytest.fixture
def scenario(receiving_resources, dagster_instance, openssh_server):
    return Scenario(receiving_resources, dagster_instance, openssh_server)


def test_a_quarter_is_received_reported_emailed_and_archived(scenario, smtp_mailbox, tmp_path, embedded_data):
    scenario.put(*scenario.good_files())
    result = scenario.receive()
    assert result.success

    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["dps_counts_reconcile"].passed
    assert not checks["counties_have_regions"].passed  # Caddo Parish has no Texas region
    assert checks["dps_person_ids_were_submitted"].passed
    assert checks["dps_entries_in_window"].metadata["outside_window"].value == 1

    folder = next((tmp_path / "archive" / "reports" / "FY2026_Q4").iterdir())
    impact = sheet_rows(folder / "IMPACT_not_in_DPS_FY2026_Q4.xlsx", "IMPACT not in DPS")
    assert impact[0][:5] == ("FISCAL_QUARTER", "REGION", "CNTY_NAME", "PERSON_ID", "RUNAWAY_EVENT_ID")
    listed = {row[4] for row in impact[1:]}
    assert listed == set(scenario.events_in_window["RUNAWAY_EVENT_ID"]) - set(scenario.matched["RUNAWAY_EVENT_ID"])

    dps = sheet_rows(folder / "DPS_not_in_IMPACT_FY2026_Q4.xlsx", "DPS not in IMPACT")
    assert [row[4] for row in dps[1:]] == ["M000000201", "M000000202"]  # region 6, then UNKNOWN
    assert [row[1] for row in dps[1:]] == [6, "UNKNOWN"]  # a number where the region is one

    totals = sheet_rows(folder / "DPS_total_runaway_events_FY2026_Q4.xlsx", "Totals")
    assert totals[0] == ("REGION", "FY2026-Q1", "FY2026-Q2", "FY2026-Q3", "FY2026-Q4", "FYTD_TOTAL")
    # (the writer may set STATEWIDE apart by an empty row)
    assert [r[0] for r in totals[1:] if r[0] is not None] == list(range(1, 12)) + ["UNKNOWN", "STATEWIDE"]
    assert totals[-1][-1] == 3 + 2  # three matched episodes (one reported twice) and two unmatched
    workbook = load_workbook(folder / "DPS_total_runaway_events_FY2026_Q4.xlsx")
    assert workbook.sheetnames == ["Totals", "About"]
    assert workbook["Totals"].freeze_panes == "A2" and workbook["Totals"].auto_filter.ref
    assert workbook["Totals"].auto_filter.ref == "A1:F13"  # regions 1..11 and UNKNOWN; STATEWIDE outside
    assert len(workbook["Totals"]._charts) == 1
    about = dict(sheet_rows(folder / "IMPACT_not_in_DPS_FY2026_Q4.xlsx", "About")[1:])
    assert about["Partition"] == "FY2026-Q4" and about["Match tolerance (days)"] == 7
    assert len(about["Dfps-missing-person-results.txt SHA-256"]) == 64

    [email] = read_mailbox(smtp_mailbox[1])
    assert email["Subject"] == "DPS missing-person reconciliation FY2026-Q4"
    body = email.get_body(("plain",)).get_content().splitlines()
    assert "Reporting window: September 1, 2025 – August 31, 2026, fiscal year to date." in body
    [unknown] = [r[-1] for r in totals if r[0] == "UNKNOWN"]
    assert ("    DPS runaway events by region and quarter: 11 regions, 5 events fiscal year to date, "
            f"{unknown} of them in a county with no region (UNKNOWN)") in body and unknown == 1
    assert f"    DPS entries in the window that match no IMPACT runaway event, by region of the reporting " \
           f"agency's county: {len(dps) - 1}" in body
    attachments = sorted(a.get_filename() for a in email.iter_attachments())
    assert attachments == ["DPS_not_in_IMPACT_FY2026_Q4.xlsx", "DPS_total_runaway_events_FY2026_Q4.xlsx",
                           "IMPACT_not_in_DPS_FY2026_Q4.xlsx"]

    # DPS's files: archived here, moved aside on the server.
    [archived] = list((tmp_path / "archive" / "from_dps" / "FY2026_Q4").iterdir())
    assert sorted(p.name for p in archived.iterdir()) == ["Dfps-missing-person-counts.txt",
                                                        "Dfps-missing-person-results.txt"]
    assert not (scenario.server.to_dfps_folder / "Dfps-missing-person-results.txt").exists()
    assert len(list((scenario.server.to_dfps_folder / "processed").iterdir())) == 2
    assert [p.name for p in (tmp_path / "logs" / "from_dps").iterdir()][0].startswith("FY2026_Q4_")

    # Nothing personal in logs, metadata, the email or any file name.
    names, dobs = synthetic_identities(embedded_data / "caps.duckdb", embedded_data / "tcic.duckdb")
    texts = [(str(p), p.read_text()) for p in files_under(tmp_path / "logs")]
    texts += [(str(e.asset_key), str(e.materialization.metadata)) for e in result.get_asset_materialization_events()]
    texts += [("email", email.get_body(("plain",)).get_content() + email["Subject"])]
    texts += [(str(p), str(p)) for p in files_under(tmp_path)]
    assert leaks(texts, names, dobs) == []

    # Re-materialising reads the archive, rebuilds the reports and does not email again.
    again = scenario.receive()
    assert again.success
    assert len(read_mailbox(smtp_mailbox[1])) == 1
    metadata = {e.asset_key: e.materialization.metadata for e in again.get_asset_materialization_events()}
    assert metadata[AssetKey("dps_results")]["source"].value == "archive"
    forced = scenario.receive({"ops": {"dps_report_delivery": {"config": {"force_email": True}}}})
    assert forced.success and len(read_mailbox(smtp_mailbox[1])) == 2


def test_an_email_is_not_sent_twice_when_its_run_fails_after_sending(scenario, smtp_mailbox):
    scenario.put(*scenario.good_files())
    # The tags the sensor gives a run; re-executing a failed run from the UI keeps them.
    seen = {file_tag(p.name): f"{p.stat().st_size}:{int(p.stat().st_mtime)}"
            for p in scenario.server.to_dfps_folder.glob("Dfps-*.txt")}
    in_the_way = scenario.server.to_dfps_folder / "processed"
    in_the_way.write_text("a file where the processed folder should be")
    failed = scenario.receive(raise_on_error=False, tags=seen)
    assert not failed.success  # the email went out, then moving DPS's files aside failed
    assert len(read_mailbox(smtp_mailbox[1])) == 1
    assert (scenario.server.to_dfps_folder / "Dfps-missing-person-results.txt").exists()

    in_the_way.unlink()
    again = scenario.receive(tags=seen)
    assert again.success
    assert len(read_mailbox(smtp_mailbox[1])) == 1  # the failed run's email counts
    assert not (scenario.server.to_dfps_folder / "Dfps-missing-person-results.txt").exists()
    assert len(list(in_the_way.iterdir())) == 2


def test_a_malformed_file_stops_everything_and_leaves_the_remote_files(scenario, smtp_mailbox, tmp_path):
    results, counts = scenario.good_files()
    broken = results.replace("|Harris|20260702|20260701|", "|Harris|20260702|2026-07-01|")
    scenario.put(broken, counts)
    result = scenario.receive(raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.event_specific_data.error.cause.message
    assert "Dfps-missing-person-results.txt, line 6, column MISSING_DATE" in message
    assert read_mailbox(smtp_mailbox[1]) == []
    assert (scenario.server.to_dfps_folder / "Dfps-missing-person-results.txt").exists()
    assert not (tmp_path / "archive" / "reports").exists()
    assert not (tmp_path / "archive" / "from_dps").exists()
    [log] = (tmp_path / "logs" / "from_dps").iterdir()
    assert ("ERROR   dps_results: failed: DpsFileError: Dfps-missing-person-results.txt, line 6, "
            "column MISSING_DATE") in log.read_text()


def test_counts_that_disagree_block_the_reports_and_the_email(scenario, smtp_mailbox, tmp_path):
    results, counts = scenario.good_files()
    scenario.put(results, counts.replace(f"RECORDS_RECEIVED|{len(scenario.export)}", "RECORDS_RECEIVED|5"))
    result = scenario.receive(raise_on_error=False)
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "dps_counts_reconcile"]
    assert not check.passed
    assert f"RECORDS_RECEIVED is 5 in the counts file but {len(scenario.export)} in the data" in check.description
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "dps_report_delivery" not in materialized and "impact_not_in_dps_report" not in materialized
    assert read_mailbox(smtp_mailbox[1]) == []
    assert (scenario.server.to_dfps_folder / "Dfps-missing-person-counts.txt").exists()
    [log] = (tmp_path / "logs" / "from_dps").iterdir()
    assert ("ERROR   dps_counts_dps_counts_reconcile: failed: CountsDisagreeError: FY2026-Q4: DPS's counts "
            "disagree with the files: RECORDS_RECEIVED is 5") in log.read_text()
    assert "No report is made and nothing is emailed" in log.read_text()
    # The run's page says so first: the check's step failed with that sentence, and what to do.
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    told = failure.step_failure_data.user_failure_data
    assert failure.step_key == "dps_counts_dps_counts_reconcile"
    assert told.description.startswith("FY2026-Q4: DPS's counts disagree with the files: RECORDS_RECEIVED is 5")
    assert "ask for both files again" in told.metadata["what to do"].value
    assert failure.step_failure_data.error.cause.cls_name == "CountsDisagreeError"


def test_an_instance_that_lost_its_history_reconciles_against_the_archived_submission(
        scenario, tmp_path):
    scenario.put(*scenario.good_files())
    assert scenario.receive().success
    with exchange_instance() as fresh:
        scenario.instance = fresh
        result = scenario.receive()
        [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "dps_counts_reconcile"]
        assert check.passed
        [sent] = (tmp_path / "archive" / "to_dps" / "FY2026_Q4").glob("*/End_txt_file.txt")
        assert check.metadata["records_sent_counted_from"].value == str(sent)

        shutil.rmtree(tmp_path / "archive" / "to_dps")
        result = scenario.receive(raise_on_error=False)
        [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "dps_counts_reconcile"]
        assert not check.passed
        assert check.description.startswith("RECORDS_RECEIVED cannot be checked: no submission of FY2026-Q4")
        assert not result.success


def test_sa_98_keeps_the_calendar_day_of_oracle_dates(pipeline_resources, dagster_instance):
    raw = pipeline_resources["warehouse"].sa_98(Q4.fiscal_year_start, Q4.fiscal_year_end)
    assert (raw["RUNAWAY_DATE"].dt.hour != 0).any()  # the warehouse, like Oracle, has times of day
    result = materialize([receiving.sa_98], partition_key=Q4.partition_key, resources=pipeline_resources,
                         instance=dagster_instance)
    frame = result.output_for_node("sa_98")
    assert len(frame) == len(raw)
    for column in SA_98_DATE_COLUMNS:
        days = frame[column].dropna()
        assert (days == days.dt.normalize()).all(), column
    assert (frame["RUNAWAY_DATE"] == raw["RUNAWAY_DATE"].dt.normalize()).all()


def test_sa_98_reports_its_own_rows_check_and_a_clean_warehouse_passes_it(pipeline_resources, dagster_instance):
    result = materialize([receiving.sa_98], partition_key=Q4.partition_key, resources=pipeline_resources,
                         instance=dagster_instance)
    [check] = result.get_asset_check_evaluations()
    assert (check.asset_key, check.check_name, check.passed) == (AssetKey("sa_98"), "sa_98_rows_usable", True)
    assert check.metadata["rows_set_aside"].value == 0 and check.metadata["runaway_event_ids"].value == []
    assert check.description == "every sa_98 row takes part in the matching"


def test_dps_results_is_validated_once_by_its_dagster_type(scenario, monkeypatch):
    import pandera.pandas as pa

    from dps_assets.assets import frame_types

    checked, validated = [], []
    check_frame, validate = frame_types.check_frame, pa.DataFrameSchema.validate
    monkeypatch.setattr(frame_types, "check_frame", lambda schema, frame, what: (
        checked.append((schema.name, len(frame))), check_frame(schema, frame, what))[1])
    monkeypatch.setattr(pa.DataFrameSchema, "validate", lambda schema, frame, *args, **kwargs: (
        validated.append(schema.name), validate(schema, frame, *args, **kwargs))[1])
    scenario.put(*scenario.good_files())
    assert scenario.receive().success
    assert checked == [("DpsResults", len(scenario.results_lines()))]
    assert "DpsResults" not in validated and "Sa98" in validated  # pandera still validates the others
