"""The reports' email as the relay receives it (the embedded SMTP server): the agency's subject
prefix first in the subject, its confidentiality notice first in the body, the window in US
style, the regions counted without UNKNOWN, counts with separators; and no child's name or date
of birth anywhere but in the attached workbooks, which hold them."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from dps_assets.config.delivery import EmailConfig
from dps_assets.config.values import DEFAULT_CONFIDENTIALITY_NOTICE
from dps_assets.core.reconciliation.emails import report_email
from dps_assets.core.reconciliation.reports import ReportWorkbook, matching_summary, report_summary
from dps_assets.core.workbooks.writer import About, Sheet, write_workbook
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets.resources import build_mailer
from dps_assets_tests.support.synthetic_reports import QUARTER, report_frames, report_inputs

NOTICE = ("CONFIDENTIAL - FOR OFFICIAL USE ONLY.\n"
          "The attachments identify children in DFPS conservatorship.")


@pytest.fixture
def sent(tmp_path, smtp_mailbox):
    port, mailbox = smtp_mailbox
    mailer = build_mailer(EmailConfig(host="127.0.0.1", port=port, security="plain",
                                      sender="dps-exchange@test.invalid", recipients=["analysts@test.invalid"],
                                      operators=["operators@test.invalid"], subject_prefix="[SECURE]",
                                      confidentiality_notice=NOTICE))
    frames = report_frames(events=1500, entries=1200)
    reports = []
    for name, frame, rows_are in (("IMPACT_not_in_DPS", frames.impact_not_in_dps, "IMPACT runaway events not in DPS"),
                                  ("DPS_not_in_IMPACT", frames.dps_not_in_impact, "DPS entries not in IMPACT"),
                                  ("DPS_total_runaway_events", frames.totals, "")):
        path = tmp_path / f"{name}_{QUARTER.tag}.xlsx"
        write_workbook(path, [Sheet(name[:31], frame)], About())
        reports.append(ReportWorkbook(path, len(frame), report_summary(frame, rows_are)))
    matching = matching_summary(report_inputs(events=1500, entries=1200).matches)
    mailer.send(report_email(QUARTER, mailer.sender, mailer.recipients, reports, matching,
                             mailer.report_email_settings))
    [received] = read_mailbox(mailbox)
    return received, frames


def test_the_subject_starts_with_the_agencys_prefix(sent):
    received, _ = sent
    assert received["Subject"] == f"[SECURE] DPS missing-person reconciliation {QUARTER.label}"


def test_the_body_opens_with_the_notice_and_reads_the_american_way(sent):
    received, frames = sent
    body = received.get_body(("plain",)).get_content().splitlines()
    assert body[:3] == [*NOTICE.splitlines(), ""]
    assert "Reporting window: September 1, 2025 – May 31, 2026, fiscal year to date." in body
    regions = frames.totals["REGION"].astype(str)
    unknown = int(frames.totals.loc[regions == "UNKNOWN", "FYTD_TOTAL"].sum())
    statewide = int(frames.totals["FYTD_TOTAL"].iloc[-1])
    assert unknown > 0 and statewide >= 1000  # the sample has both, so both are said
    named = int((~regions.isin(["UNKNOWN", "STATEWIDE"])).sum())
    assert (f"    DPS runaway events by region and quarter: {named} regions, {statewide:,} events fiscal "
            f"year to date, {unknown:,} of them in counties with no region (UNKNOWN)") in body


def test_the_body_holds_no_name_or_date_of_birth_and_the_attachments_do(sent):
    received, frames = sent
    body = received.get_body(("plain",)).get_content()
    people = pd.concat([frames.impact_not_in_dps, frames.dps_not_in_impact])
    names = {w for v in people["LAST_NAME"].dropna() for w in re.split(r"[^A-Z]+", str(v).upper()) if len(w) >= 4}
    births = {f(pd.Timestamp(d)) for d in people["DOB"].dropna()
              for f in (lambda t: t.strftime("%Y-%m-%d"), lambda t: t.strftime("%m/%d/%Y"),
                        lambda t: f"{t:%B} {t.day}, {t.year}")}
    assert names and births
    words = set(re.findall(r"[A-Z]{4,}", body.upper()))
    assert not words & names
    assert not [b for b in births if b in body]
    # What the notice warns of is in the attachments: the workbooks' sheets list the children.
    attached = {a.get_filename(): a.get_content() for a in received.iter_attachments()}
    assert len(attached) == 3
    listed = pd.read_excel(io.BytesIO(attached[f"IMPACT_not_in_DPS_{QUARTER.tag}.xlsx"]))
    assert set(listed["LAST_NAME"].dropna()) & set(frames.impact_not_in_dps["LAST_NAME"])


def test_without_the_agencys_wording_the_default_notice_opens_the_body(smtp_mailbox):
    port, mailbox = smtp_mailbox
    mailer = build_mailer(EmailConfig(host="127.0.0.1", port=port, security="plain",
                                      sender="dps-exchange@test.invalid", recipients=["analysts@test.invalid"],
                                      operators=["operators@test.invalid"]))
    mailer.send(report_email(QUARTER, mailer.sender, mailer.recipients, [], {k: 0 for k in (
        "entries_in_window", "entries_outside_window", "events_reported_to_dps")}, mailer.report_email_settings))
    [received] = read_mailbox(mailbox)
    assert received["Subject"] == f"DPS missing-person reconciliation {QUARTER.label}"
    body = received.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith(DEFAULT_CONFIDENTIALITY_NOTICE + "\n\n")
