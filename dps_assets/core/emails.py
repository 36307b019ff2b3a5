"""The emails the exchange sends. Subjects and bodies carry quarter labels and counts only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def report_email(quarter_label: str, sender: str, recipients: Sequence[str],
                 workbooks: Sequence[Path], row_counts: Mapping[str, int],
                 summary: Mapping[str, int]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"DPS missing-person reconciliation {quarter_label}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    lines = [
        f"The DFPS/DPS missing-person reconciliation for {quarter_label} is attached.",
        "",
        *(f"  {name}: {count} row(s)" for name, count in row_counts.items()),
        "",
        *(f"  {name}: {count}" for name, count in summary.items()),
        "",
        "Each workbook's About sheet records the source files, their checksums",
        "and the matching parameters.",
        "",
        "Sent by the automated DFPS-DPS exchange pipeline.",
    ]
    message.set_content("\n".join(lines))
    for path in workbooks:
        message.add_attachment(path.read_bytes(), maintype=XLSX[0], subtype=XLSX[1], filename=path.name)
    return message


def alert_email(subject: str, sender: str, operators: Sequence[str], lines: Sequence[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[DPS exchange] {subject}"
    message["From"] = sender
    message["To"] = ", ".join(operators)
    message["Date"] = formatdate(localtime=False)
    message.set_content("\n".join(lines))
    return message
