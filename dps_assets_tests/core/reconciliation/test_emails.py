"""The report email in words: the agency's confidentiality notice first, the reporting window in
US style, what each workbook's numbers are, the matching's numbers, a Date header in Central
time; counts only. What the relay receives: test_report_email_delivery.py."""

from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pandas as pd

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.reconciliation.emails import (
    ReportEmailSettings,
    date_header,
    day_in_words,
    report_email,
    window_in_words,
)
from dps_assets.core.reconciliation.reports import ReportWorkbook, report_summary

Q3 = FiscalQuarter(2026, 3)
MATCHING = {"entries_in_window": 1234, "entries_outside_window": 2, "events_reported_to_dps": 7}
NOTICE = "CONFIDENTIAL: names and dates of birth attached.\nFor official use only."
SETTINGS = ReportEmailSettings(confidentiality_notice=NOTICE, subject_prefix="[SECURE]")


def totals(regions: int, statewide: int, unknown: int | None = None) -> pd.DataFrame:
    rows = [(r, 0, 0) for r in range(1, regions + 1)]
    rows += [("UNKNOWN", unknown, unknown)] if unknown is not None else []
    rows += [("STATEWIDE", statewide, statewide)]
    return pd.DataFrame(rows, columns=["REGION", "FY2026-Q1", "FYTD_TOTAL"])


def test_the_window_is_said_in_us_words():
    assert day_in_words(date(2025, 9, 1)) == "September 1, 2025"
    assert window_in_words(Q3) == "September 1, 2025 – May 31, 2026, fiscal year to date"


def test_the_date_header_is_central_time_whatever_the_host_runs_in():
    summer = datetime(2026, 9, 5, 14, 0, tzinfo=UTC)
    assert date_header(summer) == "Sat, 05 Sep 2026 09:00:00 -0500"
    assert date_header(datetime(2026, 12, 5, 15, 0, tzinfo=UTC)) == "Sat, 05 Dec 2026 09:00:00 -0600"
    assert date_header(summer.astimezone(ZoneInfo("Asia/Tokyo"))) == "Sat, 05 Sep 2026 09:00:00 -0500"


def test_unknown_is_no_region_and_its_events_are_named_apart():
    assert report_summary(totals(11, 1993, unknown=3), "ignored") == (
        "DPS runaway events by region and quarter: 11 regions, 1,993 events fiscal year to date, "
        "3 of them in counties with no region (UNKNOWN)")
    assert report_summary(totals(11, 40, unknown=1), "ignored").endswith(
        ", 1 of them in a county with no region (UNKNOWN)")
    assert report_summary(totals(11, 40, unknown=0), "ignored") == (
        "DPS runaway events by region and quarter: 11 regions, 40 events fiscal year to date")


def test_each_report_says_what_its_numbers_are():
    listed = pd.DataFrame({"REGION": [1, 2, "UNKNOWN"]})
    assert report_summary(listed, "IMPACT runaway events no DPS entry was matched to, by region.") == (
        "IMPACT runaway events no DPS entry was matched to, by region: 3")
    assert report_summary(totals(13, 1057), "ignored") == (
        "DPS runaway events by region and quarter: 13 regions, 1,057 events fiscal year to date")
    assert report_summary(totals(1, 1), "ignored") == (
        "DPS runaway events by region and quarter: 1 region, 1 event fiscal year to date")


def test_the_report_email_states_the_window_and_the_numbers_in_words(tmp_path):
    reports = []
    for name, summary in (("IMPACT_not_in_DPS_FY2026_Q3.xlsx", "IMPACT runaway events …: 42"),
                          ("DPS_total_runaway_events_FY2026_Q3.xlsx",
                           report_summary(totals(13, 57), ""))):
        (tmp_path / name).write_bytes(b"PK")
        reports.append(ReportWorkbook(path=tmp_path / name, rows=14, summary=summary))
    message = report_email(Q3, "dps@example.invalid", ["a@example.invalid"], reports, MATCHING, SETTINGS)
    assert message["Subject"] == "[SECURE] DPS missing-person reconciliation FY2026-Q3"
    body = message.get_body(("plain",)).get_content().splitlines()
    assert body[:5] == ["CONFIDENTIAL: names and dates of birth attached.", "For official use only.", "",
                        "The DFPS/DPS missing-person reconciliation for FY2026-Q3 is attached.",
                        "Reporting window: September 1, 2025 – May 31, 2026, fiscal year to date."]
    assert ["  DPS_total_runaway_events_FY2026_Q3.xlsx",
            "    DPS runaway events by region and quarter: 13 regions, 57 events fiscal year to date"] == \
        body[body.index("  DPS_total_runaway_events_FY2026_Q3.xlsx"):][:2]
    assert "  DPS entries in the window: 1,234" in body
    assert not any("row(s)" in line for line in body)
    sent_at = parsedate_to_datetime(message["Date"])
    assert sent_at.utcoffset() == datetime.now(ZoneInfo("America/Chicago")).utcoffset()
    assert abs(sent_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_published_workbook_is_linked_under_its_summary_and_one_not_published_is_not(tmp_path):
    url = "https://agency.sharepoint.us/sites/dps/Shared%20Documents/FY2026_Q3/DPS_not_in_IMPACT_FY2026_Q3.xlsx"
    reports = []
    for name, web_url in (("DPS_not_in_IMPACT_FY2026_Q3.xlsx", url), ("IMPACT_not_in_DPS_FY2026_Q3.xlsx", None)):
        (tmp_path / name).write_bytes(b"PK")
        reports.append(ReportWorkbook(path=tmp_path / name, rows=3, summary="entries: 3", web_url=web_url))
    message = report_email(Q3, "dps@example.invalid", ["a@example.invalid"], reports, MATCHING,
                           ReportEmailSettings(confidentiality_notice=NOTICE))
    body = message.get_body(("plain",)).get_content().splitlines()
    at = body.index("  DPS_not_in_IMPACT_FY2026_Q3.xlsx")
    assert body[at:at + 4] == ["  DPS_not_in_IMPACT_FY2026_Q3.xlsx", "    entries: 3", f"    In SharePoint: {url}",
                               "  IMPACT_not_in_DPS_FY2026_Q3.xlsx"]
    assert sum("SharePoint" in line for line in body) == 1
    assert [a.get_filename() for a in message.iter_attachments()] == [r.path.name for r in reports]


def test_without_a_prefix_the_subject_is_the_quarter_alone(tmp_path):
    message = report_email(Q3, "dps@example.invalid", ["a@example.invalid"], [], MATCHING,
                           ReportEmailSettings(confidentiality_notice=NOTICE))
    assert message["Subject"] == "DPS missing-person reconciliation FY2026-Q3"
