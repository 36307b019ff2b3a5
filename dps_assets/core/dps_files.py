"""Reading the two files DPS returns (spec §4). A file that breaks the layout is rejected whole,
with an error naming the file, the line and the column and saying what is wrong with the value's
shape (length, kinds of characters), never quoting it: a row with a field missing shifts the
others, so any column may hold a child's name. Control characters (NUL, VT, DEL, C1, …), bytes
that are not UTF-8 and CR-only line ends are layout violations too."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from dps_assets.core.errors import ExchangeError
from dps_assets.core.shapes import CONTROL_CHARACTERS, capped, shape_of

RESULTS_COLUMNS = (
    "DFPS_PERSON_ID", "NIC", "LAST_NAME", "FIRST_NAME", "DOB", "SEX", "RACE", "MKE", "ORI",
    "AGENCY_COUNTY", "ENTRY_DATE", "MISSING_DATE", "CLEAR_DATE",
)
RESULTS_DATE_COLUMNS = ("DOB", "ENTRY_DATE", "MISSING_DATE", "CLEAR_DATE")
COUNTS_COLUMNS = ("MEASURE", "COUNT")
REQUIRED_MEASURES = ("RECORDS_RECEIVED", "PERSONS_MATCHED", "MISSING_PERSON_ENTRIES")
MKE_CODES = frozenset({"EMJ", "EME", "EMI", "EMD", "EMV", "EMO"})

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
    whole-file problem). The message never quotes a value of the file, and caps what it names."""

    def __init__(self, file_name: str, line: int | None, column: str | None, problem: str):
        self.file_name, self.line, self.column, self.problem = file_name, line, column, problem
        where = [capped(file_name)]
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {capped(column, 40)}")
        super().__init__(f"{', '.join(where)}: {capped(problem, 300)}")


class _Bad(ValueError):
    """A value breaks its column's rule; the argument says how, by shape only."""


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
    # Bytes that are not UTF-8 become lone surrogates, reported where they are (line, column).
    text = data.decode("utf-8", errors="surrogateescape")
    if "\r" in text and "\n" not in text:
        raise DpsFileError(file_name, 1, None, "the lines end in CR alone; the layout's line ends "
                           "are CRLF or LF, so the file is not read")
    lines = text.split("\n")
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    while lines and _blank(lines[-1]):
        lines.pop()
    if not lines:
        raise DpsFileError(file_name, None, None, "the file is empty (no header line)")
    header_fields = lines[0].split(_DELIMITER)
    _check_characters(file_name, 1, header_fields, None)
    header = [field.strip().upper() for field in header_fields]
    for column in required:
        if column not in header:
            raise DpsFileError(file_name, 1, column, "the header lacks this column")
    _check_duplicates(file_name, header, required)
    named = [name if name in required else None for name in header]
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if _blank(line):
            raise DpsFileError(file_name, number, None, "blank line inside the file")
        fields = line.split(_DELIMITER)
        if CONTROL_CHARACTERS.search(line):
            _check_characters(file_name, number, fields, named)
        if len(fields) != len(header):
            raise DpsFileError(
                file_name, number, None, f"{len(fields)} field(s), the header has {len(header)}"
            )
        rows.append((number, [field.strip() for field in fields]))
    return _Table(header, rows)


def _blank(line: str) -> bool:
    return not line.strip(" ")


def _check_characters(file_name: str, number: int, fields: list[str], named: list[str | None] | None) -> None:
    """Refuse a control character, an undecodable byte or a stray CR anywhere in a line."""
    for index, field in enumerate(fields):
        found = CONTROL_CHARACTERS.search(field)
        if not found:
            continue
        ch, position = found.group(), found.start() + 1
        if ch == "\r":
            what = "a CR that does not end a line (line ends are CRLF or LF)"
        elif "\udc80" <= ch <= "\udcff":
            what = "bytes that are not valid UTF-8"
        else:
            what = f"a control character U+{ord(ch):04X}"
        column = named[index] if named is not None and index < len(named) else None
        place = f"character {position} of the field" if column else (
            f"character {position} of {'header ' if named is None else ''}field {index + 1}")
        raise DpsFileError(file_name, number, column, f"{what} at {place}")


def _check_duplicates(file_name: str, header: list[str], required: Sequence[str]) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name:
            continue
        if name in seen:
            if name in required:
                raise DpsFileError(file_name, 1, name, f"the header names this column twice "
                                   f"(fields {seen[name]} and {position})")
            raise DpsFileError(file_name, 1, None, f"header fields {seen[name]} and {position} have the same name")
        seen[name] = position


def _parse_date(value: str) -> date:
    if not _DATE.match(value):
        raise _Bad(f"expected a date YYYYMMDD (8 digits), found {shape_of(value)}")
    try:
        day = datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise _Bad("expected a date YYYYMMDD, found 8 digits that are not a calendar day") from None
    if not _FIRST_DAY <= day <= _LAST_DAY:
        raise _Bad(f"expected a date YYYYMMDD from {_FIRST_DAY:%Y%m%d} to {_LAST_DAY:%Y%m%d}, "
                   "found a day outside that range")
    return day


def _column_values(table: _Table, column: str, file_name: str, parse: Callable[[str], object],
                   optional: bool = False) -> list[object]:
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
        except _Bad as bad:
            raise DpsFileError(file_name, number, column, str(bad)) from None
    return values


def _parse_int(value: str) -> int:
    if not _INTEGER.match(value):
        raise _Bad(f"expected a 64-bit integer, found {shape_of(value)}")
    if not _INT64[0] <= int(value) <= _INT64[1]:
        raise _Bad(f"expected a 64-bit integer, found {shape_of(value)} outside the 64-bit range")
    return int(value)


def _text(value: str) -> str:
    return value


def _matching(predicate: Callable[[str], object], expected: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if not predicate(value):
            raise _Bad(f"expected {expected}, found {shape_of(value)}")
        return value

    return parse


def parse_results(data: bytes, file_name: str) -> pd.DataFrame:
    """`Dfps-missing-person-results.txt` -> one typed row per TCIC entry, plus `SOURCE_LINE`."""
    table = _split_table(data, file_name, RESULTS_COLUMNS)
    columns: dict[str, list[object]] = {}
    columns["DFPS_PERSON_ID"] = _column_values(table, "DFPS_PERSON_ID", file_name, _parse_int)
    columns["NIC"] = _column_values(table, "NIC", file_name, _matching(_NIC.match, "M followed by 9 digits"))
    for column in ("LAST_NAME", "FIRST_NAME", "SEX", "RACE", "ORI", "AGENCY_COUNTY"):
        columns[column] = _column_values(table, column, file_name, _text)
    columns["MKE"] = _column_values(
        table, "MKE", file_name, _matching(MKE_CODES.__contains__, "one of " + " ".join(sorted(MKE_CODES))))
    for column in RESULTS_DATE_COLUMNS:
        optional = column == "CLEAR_DATE"  # empty while the entry is still active
        columns[column] = _column_values(table, column, file_name, _parse_date, optional)
    first_line: dict[str, int] = {}
    for (number, _), nic in zip(table.rows, columns["NIC"]):
        if nic in first_line:
            raise DpsFileError(file_name, number, "NIC", f"the same NIC as line {first_line[nic]}")
        first_line[nic] = number
    frame = pd.DataFrame({c: columns[c] for c in RESULTS_COLUMNS})
    frame["DFPS_PERSON_ID"] = frame["DFPS_PERSON_ID"].astype("int64")
    for column in RESULTS_DATE_COLUMNS:
        frame[column] = pd.to_datetime(frame[column])
    frame["SOURCE_LINE"] = pd.Series([n for n, _ in table.rows], dtype="int64")
    return frame


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
            raise DpsFileError(file_name, number, "COUNT", f"expected a non-negative integer, found {shape_of(raw)}")
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
