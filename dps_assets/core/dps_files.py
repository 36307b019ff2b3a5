"""Reading the two files DPS returns (spec §4). A file that breaks the layout is rejected whole,
with an error naming the file, the line and the column. Values of personal columns (names, date
of birth, sex, race) are never quoted in an error."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from dps_assets.core.errors import ExchangeError

RESULTS_COLUMNS = (
    "DFPS_PERSON_ID", "NIC", "LAST_NAME", "FIRST_NAME", "DOB", "SEX", "RACE", "MKE", "ORI",
    "AGENCY_COUNTY", "ENTRY_DATE", "MISSING_DATE", "CLEAR_DATE",
)
RESULTS_DATE_COLUMNS = ("DOB", "ENTRY_DATE", "MISSING_DATE", "CLEAR_DATE")
COUNTS_COLUMNS = ("MEASURE", "COUNT")
REQUIRED_MEASURES = ("RECORDS_RECEIVED", "PERSONS_MATCHED", "MISSING_PERSON_ENTRIES")
MKE_CODES = frozenset({"EMJ", "EME", "EMI", "EMD", "EMV", "EMO"})
PERSONAL_COLUMNS = frozenset({"LAST_NAME", "FIRST_NAME", "DOB", "SEX", "RACE"})

# ASCII digits only: `\d` would also accept Arabic-Indic and other Unicode digits.
_NIC = re.compile(r"^M[0-9]{9}$")
_DATE = re.compile(r"^[0-9]{8}$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_INT64 = (-(2**63), 2**63 - 1)
# The days a pandas datetime64[ns] column can hold; 99991231 and 00010101 are outside.
_FIRST_DAY, _LAST_DAY = pd.Timestamp.min.date() + timedelta(days=1), pd.Timestamp.max.date()
_DELIMITER = "|"


class DpsFileError(ExchangeError, ValueError):
    """A DPS file breaks the layout. `line` is 1-based; `column` may be None (a whole-line or
    whole-file problem)."""

    def __init__(self, file_name: str, line: int | None, column: str | None, problem: str):
        self.file_name, self.line, self.column, self.problem = file_name, line, column, problem
        where = [file_name]
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}")
        super().__init__(f"{', '.join(where)}: {problem}")


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
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DpsFileError(file_name, line, None, "not valid UTF-8") from None
    lines = text.split("\n")
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise DpsFileError(file_name, None, None, "the file is empty (no header line)")
    header = [field.strip().upper() for field in lines[0].split(_DELIMITER)]
    for column in required:
        if column not in header:
            raise DpsFileError(file_name, 1, column, "the header lacks this column")
    duplicated = sorted({c for c in header if header.count(c) > 1 and c})
    if duplicated:
        raise DpsFileError(file_name, 1, duplicated[0], "the header names this column twice")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            raise DpsFileError(file_name, number, None, "blank line inside the file")
        fields = [field.strip() for field in line.split(_DELIMITER)]
        if len(fields) != len(header):
            raise DpsFileError(
                file_name, number, None, f"{len(fields)} field(s), the header has {len(header)}"
            )
        rows.append((number, fields))
    return _Table(header, rows)


def _parse_date(value: str) -> date:
    if not _DATE.match(value):
        raise ValueError
    day = datetime.strptime(value, "%Y%m%d").date()
    if not _FIRST_DAY <= day <= _LAST_DAY:
        raise ValueError
    return day


def _problem(column: str, value: str, expected: str) -> str:
    if column in PERSONAL_COLUMNS:
        return f"not {expected}"
    return f"{value!r} is not {expected}"


def _column_values(table: _Table, column: str, file_name: str, parse: Callable[[str], object],
                   expected: str, optional: bool = False) -> list[object]:
    index = table.header.index(column)
    values = []
    for number, fields in table.rows:
        raw = fields[index]
        if raw == "":
            if optional:
                values.append(None)
                continue
            raise DpsFileError(file_name, number, column, "empty, a value is required")
        try:
            values.append(parse(raw))
        except (ValueError, OverflowError):
            raise DpsFileError(file_name, number, column, _problem(column, raw, expected)) from None
    return values


def _parse_int(value: str) -> int:
    if not _INTEGER.match(value) or not _INT64[0] <= int(value) <= _INT64[1]:
        raise ValueError
    return int(value)


def parse_results(data: bytes, file_name: str) -> pd.DataFrame:
    """`Dfps-missing-person-results.txt` -> one typed row per TCIC entry, plus `SOURCE_LINE`."""
    table = _split_table(data, file_name, RESULTS_COLUMNS)
    columns: dict[str, list[object]] = {}
    columns["DFPS_PERSON_ID"] = _column_values(table, "DFPS_PERSON_ID", file_name, _parse_int,
                                             "a 64-bit integer")
    columns["NIC"] = _column_values(table, "NIC", file_name, _checked(_NIC.match), "M followed by 9 digits")
    for column in ("LAST_NAME", "FIRST_NAME", "SEX", "RACE", "ORI", "AGENCY_COUNTY"):
        columns[column] = _column_values(table, column, file_name, str, "text")
    columns["MKE"] = _column_values(
        table, "MKE", file_name, _checked(MKE_CODES.__contains__), "one of " + " ".join(sorted(MKE_CODES))
    )
    for column in RESULTS_DATE_COLUMNS:
        optional = column == "CLEAR_DATE"  # empty while the entry is still active
        columns[column] = _column_values(table, column, file_name, _parse_date,
                                        f"a date YYYYMMDD from {_FIRST_DAY:%Y%m%d} to {_LAST_DAY:%Y%m%d}", optional)
    first_line: dict[str, int] = {}
    for (number, _), nic in zip(table.rows, columns["NIC"]):
        if nic in first_line:
            raise DpsFileError(file_name, number, "NIC", f"{nic!r} repeats line {first_line[nic]}")
        first_line[nic] = number
    frame = pd.DataFrame({c: columns[c] for c in RESULTS_COLUMNS})
    frame["DFPS_PERSON_ID"] = frame["DFPS_PERSON_ID"].astype("int64")
    for column in RESULTS_DATE_COLUMNS:
        frame[column] = pd.to_datetime(frame[column])
    frame["SOURCE_LINE"] = pd.Series([n for n, _ in table.rows], dtype="int64")
    return frame


def _checked(predicate: Callable[[str], object]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if not predicate(value):
            raise ValueError
        return value

    return parse


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
        if not _INTEGER.match(raw) or int(raw) < 0:
            raise DpsFileError(file_name, number, "COUNT", f"{raw!r} is not a non-negative integer")
        if measure in found:
            raise DpsFileError(file_name, number, "MEASURE", f"{measure} repeats line {found[measure][0]}")
        found[measure] = (number, int(raw))
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


def reconcile(counts: DpsCounts, results: pd.DataFrame, submitted_rows: int) -> Reconciliation:
    """Spec §4: RECORDS_RECEIVED = data lines sent; MISSING_PERSON_ENTRIES = result rows;
    PERSONS_MATCHED = distinct DFPS_PERSON_ID in the results."""
    expected = {
        "RECORDS_RECEIVED": submitted_rows,
        "PERSONS_MATCHED": int(results["DFPS_PERSON_ID"].nunique()),
        "MISSING_PERSON_ENTRIES": len(results),
    }
    return Reconciliation(expected=expected, reported=counts.as_dict())
