"""The reports come from one registry: a report is one module of a report package (the shipped
`assets/report_kinds`, or here a package of the tests' own), and the report assets and the
delivery (its inputs, attachments and email lines) are built from it. The delivery's numbers are
its inputs: the workbooks' rows and the matching, not what the event log last recorded."""

from __future__ import annotations

import pandas as pd
import pytest
from dagster import AssetKey, AssetSelection, materialize
from openpyxl import load_workbook

from dps_assets.assets import reports
from dps_assets.assets.report_delivery import report_delivery_asset
from dps_assets.assets.report_kinds import REPORTS
from dps_assets.assets.report_kinds.dps_total_runaway_events import REPORT as TOTALS_REPORT
from dps_assets.assets.report_registry import ReportKind, check_distinct, reports_in
from dps_assets.core.reconciliation.reports import FYTD_TOTAL
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets_tests.assets import extra_report_kinds
from dps_assets_tests.assets.test_receiving_half import CHECKS, Q4, RECEIVING, SENDING, Scenario
from dps_assets_tests.conftest import exchange_instance

SHIPPED = ["impact_not_in_dps_report", "dps_not_in_impact_report", "dps_total_runaway_events_report"]


def body_lines(email) -> list[str]:
    return email.get_body(("plain",)).get_content().splitlines()


@pytest.fixture
def scenario(receiving_resources, dagster_instance, openssh_server):
    scenario = Scenario(receiving_resources, dagster_instance, openssh_server)
    scenario.put(*scenario.good_files())
    return scenario


def test_the_registry_lists_the_shipped_reports_in_the_email_order():
    assert [r.name for r in REPORTS] == SHIPPED
    assert [(r.file_stem, r.sheet) for r in REPORTS] == [
        ("IMPACT_not_in_DPS", "IMPACT not in DPS"), ("DPS_not_in_IMPACT", "DPS not in IMPACT"),
        ("DPS_total_runaway_events", "Totals")]
    # The asset each report builds is where the hand-written one was, under the same key.
    assert [getattr(reports, name).key for name in SHIPPED] == [AssetKey(name) for name in SHIPPED]
    delivery = report_delivery_asset(REPORTS)
    assert delivery.key == AssetKey("dps_report_delivery")
    assert delivery.dependency_keys == {AssetKey(n) for n in [*SHIPPED, "runaway_event_matches"]}


def test_a_report_whose_frame_does_not_take_its_inputs_is_refused_when_defined():
    with pytest.raises(TypeError, match="report broken_report: its frame function does not take"):
        ReportKind(name="broken_report", file_stem="Broken", sheet="Broken", rows_are="nothing at all",
                   inputs=("sa_98",), frame=lambda quarter, runaway_event_matches: None, position=9)
    [extra] = reports_in(extra_report_kinds)
    with pytest.raises(ValueError, match="two reports share a name"):
        check_distinct([*REPORTS, extra, extra])


def test_a_report_added_in_one_module_is_materialised_and_emailed(scenario, smtp_mailbox, tmp_path):
    [extra] = reports_in(extra_report_kinds)
    kinds = [*REPORTS, extra]
    receiving = [a for a in RECEIVING if a.key.to_user_string() not in {*SHIPPED, "dps_report_delivery"}]
    built = [*reports.report_assets(kinds).values(), report_delivery_asset(kinds)]
    result = materialize([*SENDING, *receiving, *built, *CHECKS], partition_key=Q4.partition_key,
                         resources=scenario.resources, instance=scenario.instance,
                         selection=AssetSelection.assets(*receiving, *built))
    assert result.success

    materialised = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    new = materialised[AssetKey("dps_outside_window_report")]
    assert new["dagster/row_count"].value == 1  # the one entry of 2025 (scenario.results_lines)
    assert new["fiscal_quarter"].value == "FY2026-Q4"
    written = result.output_for_node("dps_outside_window_report")
    assert written.path.name == "DPS_outside_window_FY2026_Q4.xlsx" and written.rows == 1
    workbook = load_workbook(written.path, read_only=True)
    assert workbook.sheetnames == ["Outside the window", "About"]
    rows = list(workbook["Outside the window"].iter_rows(values_only=True))
    assert rows[0] == ("DFPS_PERSON_ID", "NIC", "MISSING_DATE") and rows[1][1] == "M000000203"
    about = dict(list(workbook["About"].iter_rows(values_only=True))[1:])
    assert about["Rows: Outside the window"] == 1 and about["Partition"] == "FY2026-Q4"

    [email] = read_mailbox(smtp_mailbox[1])
    attachments = [a.get_filename() for a in email.iter_attachments()]
    assert attachments == ["IMPACT_not_in_DPS_FY2026_Q4.xlsx", "DPS_not_in_IMPACT_FY2026_Q4.xlsx",
                           "DPS_total_runaway_events_FY2026_Q4.xlsx", "DPS_outside_window_FY2026_Q4.xlsx"]
    lines = body_lines(email)
    at = lines.index("  DPS_outside_window_FY2026_Q4.xlsx")  # its name, then its rows in its own words
    assert lines[at + 1] == ("    DPS entries whose missing date is outside the quarter's window"
                             " (counted, not matched): 1")
    delivered = materialised[AssetKey("dps_report_delivery")]
    assert [p.rsplit("/", 1)[-1] for p in delivered["workbooks"].value] == attachments


def test_the_emails_numbers_are_the_deliverys_inputs_not_the_event_log(scenario, smtp_mailbox):
    """The email's counts come from the reports' outputs and the matching, which the delivery
    takes as inputs: a delivery run on an instance that has none of their materialisations still
    states them. (The reports are built first without delivering, since a delivery removes the
    quarter's stored frames.)"""
    delivery = [a for a in RECEIVING if a.key == AssetKey("dps_report_delivery")]
    built = materialize([*SENDING, *RECEIVING, *CHECKS], partition_key=Q4.partition_key,
                        resources=scenario.resources, instance=scenario.instance,
                        selection=AssetSelection.assets(*[a for a in RECEIVING if a not in delivery]))
    assert built.success
    rows = {e.asset_key.to_user_string(): e.materialization.metadata["dagster/row_count"].value
            for e in built.get_asset_materialization_events() if e.asset_key.to_user_string() in SHIPPED}
    matching = {e.asset_key: e.materialization.metadata for e in built.get_asset_materialization_events()}[
        AssetKey("runaway_event_matches")]
    totals = {e.asset_key: e.materialization.metadata for e in built.get_asset_materialization_events()}[
        AssetKey("dps_total_runaway_events_report")]
    statewide = totals["statewide_fytd"].value
    # UNKNOWN is no region: its events are named apart (the table's UNKNOWN row, FYTD column).
    [unknown] = [int(line.split("|")[-2].replace(",", "")) for line in totals["region_totals"].value.splitlines()
                 if line.startswith("| UNKNOWN |")] or [0]
    unplaced = f", {unknown} of them in {'a county' if unknown == 1 else 'counties'} with no region (UNKNOWN)"
    lists = {r.name: f"    {r.rows_are.rstrip('.')}: {rows[r.name]}" for r in REPORTS[:2]}
    expected = [
        "The workbooks:",
        *(line for r in REPORTS for line in (
            f"  {r.file_stem}_FY2026_Q4.xlsx",
            lists.get(r.name, f"    DPS runaway events by region and quarter: "
                              f"{rows[r.name] - 1 - (unknown > 0)} regions, {statewide} events fiscal year "
                              f"to date{unplaced if unknown else ''}"))),
        "",
        "The matching of DPS's entries to IMPACT's runaway events:",
        f"  DPS entries in the window: {matching['entries_in_window'].value}",
        f"  DPS entries outside the window (not used): {matching['entries_outside_window'].value}",
        f"  IMPACT runaway events reported to DPS: {matching['events_reported_to_dps'].value}"]
    assert min(rows.values()) > 0 and matching["entries_outside_window"].value == 1

    with exchange_instance() as fresh:  # no materialisation of any report or of the matching
        again = materialize([*SENDING, *RECEIVING, *CHECKS], partition_key=Q4.partition_key,
                            resources=scenario.resources, instance=fresh,
                            selection=AssetSelection.assets(*delivery))
        assert again.success
    [resent] = read_mailbox(smtp_mailbox[1])
    # After the confidentiality notice, its blank line, the intro, the window and a blank line.
    assert body_lines(resent)[5:5 + len(expected)] == expected


def test_the_totals_about_sheet_counts_the_regions_and_names_unknown_apart():
    totals = pd.DataFrame({"REGION": ["1", "2", "UNKNOWN", "STATEWIDE"], FYTD_TOTAL: [5, 7, 3, 15]})
    assert TOTALS_REPORT.about_rows(totals) == {"Regions": 2, "Statewide runaway events (FYTD)": 15,
                                         "Events in region UNKNOWN": 3}
