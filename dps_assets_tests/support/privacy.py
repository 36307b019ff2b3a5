"""Looking for children's names and dates of birth where they must never be."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd


def synthetic_identities(warehouse: Path, tcic: Path | None = None) -> tuple[set[str], set[str]]:
    """Distinct last names (4+ letters, as a cleaned word) and dates of birth (in the spellings
    the exchange uses) of every synthetic child."""
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as caps (read_only)")
    people = con.execute("select last_name, first_name, dob from caps.person").fetchdf()
    if tcic is not None:
        con.execute(f"attach '{tcic}' as tcic (read_only)")
        people = pd.concat([people, con.execute(
            "select last_name, first_name, dob from tcic.missing_person_entry").fetchdf()])
    names = set()
    for column in ("last_name", "first_name"):
        for value in people[column].dropna():
            for word in re.split(r"[^A-Za-z]+", str(value)):
                if len(word) >= 5:
                    names.add(word.upper())
    dobs = set()
    for value in people["dob"].dropna():
        day = pd.Timestamp(value).date()
        dobs.update({day.isoformat(), day.strftime("%Y%m%d"), day.strftime("%m/%d/%Y")})
    return names, dobs


def calendar_dates() -> set[str]:
    """Dates the exchange writes legitimately (quarter and fiscal-year bounds, today, yesterday):
    a child born on one of those days cannot be told apart from them, so they are not searched."""
    days = {date.today(), date.today() - timedelta(days=1)}
    for year in range(2015, 2031):
        for month in (3, 6, 9, 12):
            first = date(year, month, 1)
            days.update({first, first - timedelta(days=1)})
    return {f(d) for d in days for f in (date.isoformat, lambda d: d.strftime("%Y%m%d"),
                                          lambda d: d.strftime("%m/%d/%Y"))}


def leaks(texts: Iterable[tuple[str, str]], names: set[str], dobs: set[str]) -> list[str]:
    """(where, text) pairs -> descriptions of every name word or date of birth found."""
    dobs = dobs - calendar_dates()
    found = []
    for where, text in texts:
        words = set(re.findall(r"[A-Z]{5,}", text.upper()))
        for name in sorted(words & names):
            found.append(f"{where}: name {name}")
        for dob in dobs:
            if dob in text:
                found.append(f"{where}: date of birth {dob}")
    return found


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in sorted(root.rglob("*")) if p.is_file()]



def files_holding(values: Iterable[str], files: Iterable[Path]) -> list[str]:
    """`path: value` for every file whose bytes hold one of `values` (as UTF-8): SQLite
    databases, compute logs and mail are searched as they lie on disk. A file removed since it
    was listed is skipped."""
    encoded = [(v, v.encode()) for v in values]
    found = []
    for path in files:
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # a running Dagster's journal or queue file, gone since listed
            continue
        found += [f"{path}: {value}" for value, raw in encoded if raw in data]
    return found


def emails_as_text(mailbox: Path) -> list[tuple[str, str]]:
    """(where, subject and every text part, decoded) of every email the SMTP server kept, so
    that a value in a base64 or quoted-printable body is found too."""
    from dps_assets.embedded.smtp_server import read_mailbox

    texts = []
    for number, email in enumerate(read_mailbox(mailbox)):
        parts = [p.get_content() for p in email.walk() if p.get_content_maintype() == "text"]
        texts.append((f"email {number} ({email['Subject']})", "\n".join([email["Subject"] or "", *parts])))
    return texts
