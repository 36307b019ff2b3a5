"""The emails the exchange sends. Subjects and bodies carry quarter labels and counts only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from dps_assets.core.reports import ReportWorkbook

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
# The matching's numbers (core.reports.matching_summary) the report email states, in its words.
MATCHING_LINES = (
    ("entries_in_window", "DPS entries in the window"),
    ("entries_outside_window", "DPS entries outside the window (not used)"),
    ("events_reported_to_dps", "IMPACT runaway events reported to DPS"),
)


def report_email(quarter_label: str, sender: str, recipients: Sequence[str],
                 reports: Sequence[ReportWorkbook], matching: Mapping[str, int]) -> EmailMessage:
    """One line per report (its file and rows), the matching's numbers, every workbook attached."""
    message = EmailMessage()
    message["Subject"] = f"DPS missing-person reconciliation {quarter_label}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    lines = [
        f"The DFPS/DPS missing-person reconciliation for {quarter_label} is attached.",
        "",
        *(f"  {report.path.name}: {report.rows} row(s)" for report in reports),
        "",
        *(f"  {label}: {int(matching[key])}" for key, label in MATCHING_LINES),
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
    message["Date"] = formatdate(localtime=False)
    message.set_content("\n".join(lines))
    return message
