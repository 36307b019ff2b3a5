"""Reading the two files DPS returns (spec §4). A file that breaks the layout is rejected whole,
with an error naming the file, the line and the column and saying what is wrong with the value's
shape (length, kinds of characters), never quoting it: a row with a field missing shifts the
others, so any column may hold a child's name. Control characters (NUL, VT, DEL, C1, …), bytes
that are not UTF-8 and CR-only line ends are layout violations too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from dps_assets.core.dps_files.layout_rules import (
    INTEGER,
    MKE_CODES,
    RESULTS_COLUMNS,
    RESULTS_DATE_COLUMNS,
    DpsFileError,
    blank,
    check_line,
    int64_or_none,
    read_header,
    refuse_cr_only,
    without_bom,
)
from dps_assets.core.dps_files.results_reader import read_results
from dps_assets.core.privacy.errors import ExchangeError
from dps_assets.core.privacy.shapes import shape_of

__all__ = ["COUNTS_COLUMNS", "MKE_CODES", "REQUIRED_MEASURES", "RESULTS_COLUMNS", "RESULTS_DATE_COLUMNS",
           "CountsDisagreeError", "DpsCounts", "DpsFileError", "Reconciliation", "count_data_lines",
           "parse_counts", "parse_results", "reconcile"]

COUNTS_COLUMNS = ("MEASURE", "COUNT")
REQUIRED_MEASURES = ("RECORDS_RECEIVED", "PERSONS_MATCHED", "MISSING_PERSON_ENTRIES")


@dataclass(frozen=True)
class DpsCounts:
    records_received: int
    persons_matched: int
    missing_person_entries: int

    def as_dict(self) -> dict[str, int]:
        return {
            "RECORDS_RECEIVED": self.records_received,
            "PERSONS_MATCHED": self.persons_matched,
            "MISSING_PERSON_ENTRIES": self.missing_person_entries,
        }


@dataclass(frozen=True)
class _Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line number, fields)


def _split_table(data: bytes, file_name: str, required: Sequence[str]) -> _Table:
    """A small file (the counts), line by line by the layout rules."""
    refuse_cr_only(data, file_name)
    # Bytes that are not UTF-8 become lone surrogates, reported where they are (line, column).
    text = data[without_bom(data):].decode("utf-8", errors="surrogateescape")
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    while lines and blank(lines[-1]):
        lines.pop()
    if not lines:
        raise DpsFileError(file_name, None, None, "the file is empty (no header line)")
    header = read_header(lines[0], file_name, required)
    named = [name if name in required else None for name in header]
    rows = [(number, check_line(file_name, number, line, named)) for number, line in enumerate(lines[1:], start=2)]
    return _Table(header, rows)


def parse_results(data: bytes, file_name: str) -> pd.DataFrame:
    """`Dfps-missing-person-results.txt` -> one typed row per TCIC entry, plus `SOURCE_LINE`."""
    return read_results(data, file_name)


def parse_counts(data: bytes, file_name: str) -> DpsCounts:
    """`Dfps-missing-person-counts.txt` -> the three measures the reconciliation needs."""
    table = _split_table(data, file_name, COUNTS_COLUMNS)
    measure_index, count_index = table.header.index("MEASURE"), table.header.index("COUNT")
    found: dict[str, tuple[int, int]] = {}
    for number, fields in table.rows:
        measure = fields[measure_index].upper()
        if measure not in REQUIRED_MEASURES:
            continue  # other measures are DPS's business
        raw = fields[count_index]
        integer = bool(INTEGER.match(raw))
        count = int64_or_none(raw) if integer else None  # never int(): 4,301 digits would raise
        if count is None or count < 0:
            beyond = " outside the 64-bit range" if integer and count is None else ""
            raise DpsFileError(file_name, number, "COUNT",
                               f"expected a non-negative integer, found {shape_of(raw)}{beyond}")
        if measure in found:
            raise DpsFileError(file_name, number, "MEASURE", f"{measure} repeats line {found[measure][0]}")
        found[measure] = (number, count)
    for measure in REQUIRED_MEASURES:
        if measure not in found:
            raise DpsFileError(file_name, None, "MEASURE", f"no {measure} row")
    return DpsCounts(
        records_received=found["RECORDS_RECEIVED"][1],
        persons_matched=found["PERSONS_MATCHED"][1],
        missing_person_entries=found["MISSING_PERSON_ENTRIES"][1],
    )


def count_data_lines(data: bytes) -> int:
    """Data lines of a header-first text file (the submitted End_txt_file.txt)."""
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return max(len(lines) - 1, 0)


@dataclass(frozen=True)
class Reconciliation:
    expected: dict[str, int]
    reported: dict[str, int]

    @property
    def mismatches(self) -> dict[str, tuple[int, int]]:
        return {k: (self.reported[k], v) for k, v in self.expected.items() if self.reported[k] != v}

    @property
    def holds(self) -> bool:
        return not self.mismatches

    def describe(self) -> str:
        if self.holds:
            return "DPS's counts agree with the files: " + ", ".join(
                f"{k}={v}" for k, v in self.expected.items())
        return "DPS's counts disagree with the files: " + "; ".join(
            f"{k} is {got} in the counts file but {want} in the data" for k, (got, want) in self.mismatches.items())


class CountsDisagreeError(ExchangeError, ValueError):
    """DPS's counts file disagrees with its results file or with what was sent (or what was sent
    is not known): nothing is reported or emailed until DPS sends both files again."""


def reconcile(counts: DpsCounts, results: pd.DataFrame, submitted_rows: int) -> Reconciliation:
    """Spec §4: RECORDS_RECEIVED = data lines sent; MISSING_PERSON_ENTRIES = result rows;
    PERSONS_MATCHED = distinct DFPS_PERSON_ID in the results."""
    expected = {
        "RECORDS_RECEIVED": submitted_rows,
        "PERSONS_MATCHED": int(results["DFPS_PERSON_ID"].nunique()),
        "MISSING_PERSON_ENTRIES": len(results),
    }
    return Reconciliation(expected=expected, reported=counts.as_dict())
