"""The emails the exchange sends. Subjects and bodies carry quarter labels, the reporting window
and counts only, never a name or a date of birth; dates are US style and times Central
(`core.exchange.agency_time`). The reports' email opens with the agency's confidentiality notice
(its attachments hold children's names and dates of birth) and its subject may start with the
agency's prefix that makes the mail system encrypt the message (`[SECURE]`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from dps_assets.core.exchange.agency_time import AGENCY_ZONE, us_day
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.reconciliation.reports import ReportWorkbook

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
# The matching's numbers (core.reconciliation.reports.matching_summary) the report email states, in its words.
MATCHING_LINES = (
    ("entries_in_window", "DPS entries in the window"),
    ("entries_outside_window", "DPS entries outside the window (not used)"),
    ("events_reported_to_dps", "IMPACT runaway events reported to DPS"),
)


def date_header(now: datetime | None = None) -> str:
    """An RFC 5322 Date in the agency's Central time with its offset (`Sat, 05 Sep 2026 09:00:00
    -0500`), whatever time zone the host runs in."""
    return format_datetime((now or datetime.now(AGENCY_ZONE)).astimezone(AGENCY_ZONE))


def day_in_words(day: date) -> str:
    """`September 1, 2025`."""
    return us_day(day)


def window_in_words(quarter: FiscalQuarter) -> str:
    """The reporting window of a quarter (spec §2): `September 1, 2025 – May 31, 2026, fiscal year to date`."""
    return f"{day_in_words(quarter.window_start)} – {day_in_words(quarter.window_end)}, fiscal year to date"


@dataclass(frozen=True)
class ReportEmailSettings:
    """What the agency sets of the reports' email (the email section): the notice that opens the
    body, and the subject's prefix, if any."""

    confidentiality_notice: str
    subject_prefix: str | None = None


def report_subject(quarter: FiscalQuarter, prefix: str | None) -> str:
    """`[SECURE] DPS missing-person reconciliation FY2026-Q3`, or without the prefix."""
    return " ".join(part for part in (prefix, f"DPS missing-person reconciliation {quarter.label}") if part)


def report_lines(report: ReportWorkbook) -> list[str]:
    """A workbook's name, then what its numbers are in words (its summary: counts only), then its
    web address where it was published (SharePoint), which mail clients show as a link."""
    link = [f"    In SharePoint: {report.web_url}"] if report.web_url else []
    return [f"  {report.path.name}", f"    {report.summary or f'{report.rows} row(s)'}", *link]


def report_email(quarter: FiscalQuarter, sender: str, recipients: Sequence[str],
                 reports: Sequence[ReportWorkbook], matching: Mapping[str, int],
                 settings: ReportEmailSettings) -> EmailMessage:
    """The confidentiality notice, the reporting window, each report's file and what its numbers
    mean, the matching's numbers, every workbook attached."""
    message = EmailMessage()
    message["Subject"] = report_subject(quarter, settings.subject_prefix)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = date_header()
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    lines = [
        *settings.confidentiality_notice.strip().splitlines(),
        "",
        f"The DFPS/DPS missing-person reconciliation for {quarter.label} is attached.",
        f"Reporting window: {window_in_words(quarter)}.",
        "",
        "The workbooks:",
        *(line for report in reports for line in report_lines(report)),
        "",
        "The matching of DPS's entries to IMPACT's runaway events:",
        *(f"  {label}: {int(matching[key]):,}" for key, label in MATCHING_LINES),
        "",
        "Each workbook's About sheet records the source files, their checksums",
        "and the matching parameters.",
        "",
        "Sent by the automated DFPS-DPS exchange pipeline.",
    ]
    message.set_content("\n".join(lines))
    for report in reports:
        message.add_attachment(report.path.read_bytes(), maintype=XLSX[0], subtype=XLSX[1],
                               filename=report.path.name)
    return message


def alert_email(subject: str, sender: str, operators: Sequence[str], lines: Sequence[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[DPS exchange] {subject}"
    message["From"] = sender
    message["To"] = ", ".join(operators)
    message["Date"] = date_header()
    message.set_content("\n".join(lines))
    return message
