"""Bad rows in the warehouse never sink a quarter. The embedded DuckDB warehouse is given rows of
the kinds that broke it (a DOB in year 201, PERSON_IDs 0 and 1.7, control characters in names
and counties, a RETURN_DATE in year 3000, a last name of a million characters) and both halves
are materialised through Dagster: the bad export rows are rejected with the right REASON and the
rest is sent; the bad sa_98 rows are left out of the matching, listed by RUNAWAY_EVENT_ID in a
warning check; the reports are made and emailed; and no planted name or date of birth reaches a
log, the event log or the email."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance
from openpyxl import load_workbook

from dps_assets.core.export.wrangling import (
    REASON_BAD_PERSON_ID,
    REASON_DOB_BEFORE_FIRST_DAY,
    REASON_NO_LAST_NAME,
    REASON_TOO_LONG,
)
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets.resources.database import WarehouseResource
from dps_assets_tests.assets.test_receiving_half import Scenario, sheet_rows
from dps_assets_tests.support.privacy import files_under, leaks, synthetic_identities

# Planted names (long, unusual words the leak search can find) and the planted birth date.
OLD_NAME, CONTROL_NAME, COUNTY_CHILD = "QUIMBERLEY", "XANTHIPPUS", "WOLFGANGIA"
OLD_DOB = date(201, 3, 4)
OLD_DOB_SPELLINGS = ("0201-03-04", "02010304", "03/04/0201", "201-03-04")


@dataclass
class Planted:
    path: Path
    zero_id: int = 0
    fraction_id: float = 1.7
    old_dob_id: int = 0
    control_id: int = 0
    county_id: int = 0
    long_name_id: int = 0
    set_aside_events: tuple[int, ...] = ()
    usable_event: int = 0


def plant(path: Path) -> Planted:
    """Add the bad rows to a copy of the warehouse. PERSON_ID becomes a DOUBLE column, as
    Oracle's NUMBER arrives through a driver as float, so 1.7 can be stored at all."""
    con = duckdb.connect(str(path))
    try:
        top = con.execute("select max(person_id) from person").fetchone()[0]
        event_top = con.execute("select max(runaway_event_id) from runaway_event").fetchone()[0]
        episode_top = con.execute("select max(cvs_episode_id) from cvs_episode").fetchone()[0]
        assert con.execute("select count(*) from person where person_id in (0, 1, 2)").fetchone()[0] == 0
        con.execute("alter table person alter person_id type DOUBLE")
        con.execute("alter table cvs_episode alter person_id type DOUBLE")
        planted = Planted(path, old_dob_id=top + 1, control_id=top + 2, county_id=top + 3, long_name_id=top + 4)
        people = [
            (planted.zero_id, "ANA", None, "LOPEZ", date(2010, 1, 2)),
            (planted.fraction_id, "JOSE", None, "PENA", date(2011, 2, 3)),
            (planted.old_dob_id, "MARIA", None, OLD_NAME, OLD_DOB),
            # Nothing left of the last name after cleaning; NUL and VT in the raw values.
            (planted.control_id, "RAY\x00MOND", "\x07", "\x0b\x01", date(2012, 3, 4)),
            (planted.county_id, "LUZ", None, COUNTY_CHILD, date(2013, 4, 5)),
            (planted.long_name_id, "NOEMI", None, "L" * 1_000_000, date(2014, 5, 6)),  # a megabyte
        ]
        for n, (person_id, first, middle, last, dob) in enumerate(people, start=1):
            con.execute("insert into person values (?, ?, ?, ?, ?, 'F', 'WT')", [person_id, first, middle, last, dob])
            county = "Travis\x1f" if person_id == planted.county_id else "Travis"
            cvs_end = date(9999, 12, 31) if person_id == planted.county_id else None
            con.execute("insert into cvs_episode values (?, ?, ?, ?, ?)",
                        [episode_top + n, person_id, county, date(2025, 10, 1), cvs_end])
        events = [
            (event_top + 1, planted.old_dob_id, "Travis", date(2026, 7, 10), None),       # DOB in year 201
            (event_top + 2, planted.county_id, "Travis", date(2026, 7, 11), date(3000, 1, 1)),
            (event_top + 3, planted.control_id, "Travis", date(2026, 7, 12), None),        # VT, NUL in names
            (event_top + 4, planted.county_id, "Travis\x00", date(2026, 7, 13), date(2026, 7, 14)),
            (event_top + 5, planted.county_id, "Travis", date(2026, 7, 20), date(2026, 7, 22)),  # usable
        ]
        for event in events:
            con.execute("insert into runaway_event values (?, ?, ?, ?, ?, 'FOSTER HOME')", list(event))
    finally:
        con.close()
    planted.set_aside_events = tuple(e[0] for e in events[:4])
    planted.usable_event = events[4][0]
    return planted


@pytest.fixture
def dirty(tmp_path, embedded_data, receiving_resources) -> tuple[dict, Planted]:
    path = tmp_path / "dirty" / "caps.duckdb"
    path.parent.mkdir()
    shutil.copyfile(embedded_data / "caps.duckdb", path)
    planted = plant(path)
    clean = receiving_resources["warehouse"]
    resources = dict(receiving_resources)
    resources["warehouse"] = WarehouseResource(
        driver="duckdb", duckdb_path=str(path), fetch_batch_rows=clean.fetch_batch_rows, export_sql=clean.export_sql,
        sa_98_sql=clean.sa_98_sql, county_region_sql=clean.county_region_sql)
    return resources, planted


def test_bad_warehouse_rows_are_rejected_or_set_aside_and_the_quarter_goes_through(
        dirty, dagster_instance: DagsterInstance, openssh_server, smtp_mailbox, tmp_path, embedded_data):
    resources, planted = dirty
    scenario = Scenario(resources, dagster_instance, openssh_server)  # the sending half, which must succeed

    # Sending: each bad row rejected for what it is, every other row sent.
    [archive] = (tmp_path / "archive" / "to_dps" / "FY2026_Q4").iterdir()
    book = archive / "end_export.xlsx"
    rejected = {row[0]: row for row in sheet_rows(book, "Rejected")[1:]}
    reasons = {person_id: row[-1] for person_id, row in rejected.items()}
    assert reasons[0] == REASON_BAD_PERSON_ID and reasons[1.7] == REASON_BAD_PERSON_ID
    assert reasons[planted.old_dob_id] == REASON_DOB_BEFORE_FIRST_DAY
    assert reasons[planted.control_id] == REASON_NO_LAST_NAME
    assert reasons[planted.long_name_id] == REASON_TOO_LONG.format(column="LAST_NAME", limit=30)
    # The rejected row's source values as they came, the characters XML forbids as U+FFFD.
    header = sheet_rows(book, "Rejected")[0]
    control_row = dict(zip(header, rejected[planted.control_id], strict=True))
    assert control_row["LAST_NAME"] == "\ufffd\ufffd" and control_row["FIRST_NAME"] == "RAY\ufffdMOND"
    assert dict(zip(header, rejected[planted.old_dob_id], strict=True))["DOB"] == "0201-03-04"
    sent_ids = set(scenario.export["PERSON_ID"])
    assert planted.county_id in sent_ids
    assert not sent_ids & {0, 1, 2, planted.old_dob_id, planted.control_id, planted.long_name_id}
    export_rows = sheet_rows(book, "Export")
    county_row = dict(zip(export_rows[0], next(r for r in export_rows if r[0] == planted.county_id), strict=True))
    # The county as the reports spell it: `Travis\x1f` is Travis (spec §5's comparison).
    assert county_row["CNTY_NAME"] == "Travis" and county_row.get("CVS_END") is None  # 9999-12-31
    sent = (openssh_server.from_folder / "End_txt_file.txt").read_bytes().decode("ascii").split("\r\n")
    assert len(sent) - 2 == len(scenario.export)
    assert not any(line.split("|")[0] in {"0", "1", "2"} for line in sent[1:])
    assert max(map(len, sent)) < 100

    # Receiving: the quarter is reported and emailed; the bad sa_98 rows are listed, not used.
    scenario.put(*scenario.good_files())
    result = scenario.receive()
    assert result.success
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "sa_98_rows_usable"]
    assert not check.passed and check.severity.value == "WARN"
    assert check.metadata["runaway_event_ids"].value == sorted(planted.set_aside_events)
    problems = check.metadata["problem_by_event_id"].value
    old, returned, control, county = planted.set_aside_events
    assert problems == {
        str(old): "DOB is outside 1900-01-01 .. 2262-04-11",
        str(returned): "RETURN_DATE is outside 1900-01-01 .. 2262-04-11",
        str(control): "FIRST_NAME holds 1 control character(s); LAST_NAME holds 2 control character(s)",
        str(county): "CNTY_NAME holds 1 control character(s)",
    }
    assert check.description.startswith("4 sa_98 row(s) left out of the matching and the reports: "
                                         f"RUNAWAY_EVENT_ID {old}, {returned}, {control}, {county}")
    [folder] = (tmp_path / "archive" / "reports" / "FY2026_Q4").iterdir()
    listed = {row[4] for row in sheet_rows(folder / "IMPACT_not_in_DPS_FY2026_Q4.xlsx", "IMPACT not in DPS")[1:]}
    assert planted.usable_event in listed and not listed & set(planted.set_aside_events)
    assert len(read_mailbox(smtp_mailbox[1])) == 1
    assert load_workbook(folder / "IMPACT_not_in_DPS_FY2026_Q4.xlsx").sheetnames == ["IMPACT not in DPS", "About"]

    # No planted (or synthetic) name or date of birth in the logs, the event log, the check, the email.
    names, dobs = synthetic_identities(embedded_data / "caps.duckdb")
    names |= {OLD_NAME, CONTROL_NAME, COUNTY_CHILD, "RAYMOND"}
    dobs |= set(OLD_DOB_SPELLINGS)
    texts = [(str(p), p.read_text(errors="replace")) for p in files_under(tmp_path / "logs")]
    for run in dagster_instance.get_runs():
        texts += [(f"event log of {run.run_id}", str(entry)) for entry in dagster_instance.all_logs(run.run_id)]
    [email] = read_mailbox(smtp_mailbox[1])
    texts += [("email", email.get_body(("plain",)).get_content() + email["Subject"])]
    texts += [(str(p), str(p)) for p in files_under(tmp_path / "archive", tmp_path / "logs")]
    assert leaks(texts, names, dobs) == []
