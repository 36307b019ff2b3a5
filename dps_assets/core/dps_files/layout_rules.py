"""The spec §4 layout rules of DPS's files, one line or one value at a time, and the error that
names the file, the line and the column when a file breaks them. These are the rules as written;
the fast reader of the results file (results_reader) finds the few lines and values that
might break them in bulk and hands exactly those to these functions, so both say the same thing.

Messages describe a value's shape (length, kinds of characters), never the value: a row with a
field missing shifts the others, so any column may hold a child's name."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

import pandas as pd

from dps_assets.core.privacy.errors import ExchangeError
from dps_assets.core.privacy.shapes import CONTROL_CHARACTERS, capped, shape_of

RESULTS_COLUMNS = (
    "DFPS_PERSON_ID", "NIC", "LAST_NAME", "FIRST_NAME", "DOB", "SEX", "RACE", "MKE", "ORI",
    "AGENCY_COUNTY", "ENTRY_DATE", "MISSING_DATE", "CLEAR_DATE",
)
RESULTS_DATE_COLUMNS = ("DOB", "ENTRY_DATE", "MISSING_DATE", "CLEAR_DATE")
RESULTS_TEXT_COLUMNS = ("LAST_NAME", "FIRST_NAME", "SEX", "RACE", "ORI", "AGENCY_COUNTY")
OPTIONAL_COLUMNS = frozenset({"CLEAR_DATE"})  # empty while the entry is still active
MKE_CODES = frozenset({"EMJ", "EME", "EMI", "EMD", "EMV", "EMO"})
DELIMITER = "|"

# ASCII digits only: `\d` would also accept Arabic-Indic and other Unicode digits.
_NIC = re.compile(r"^M[0-9]{9}$")
_DATE = re.compile(r"^[0-9]{8}$")
INTEGER = re.compile(r"^[+-]?[0-9]+$")
_INT64 = (-(2**63), 2**63 - 1)
_INT64_DIGITS = len(str(2**63))  # 19
# The days a pandas datetime64[ns] column can hold; 99991231 and 00010101 are outside.
FIRST_DAY, LAST_DAY = pd.Timestamp.min.date() + timedelta(days=1), pd.Timestamp.max.date()


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


class BadValue(ValueError):
    """A value breaks its column's rule; the argument says how, by shape only."""


def without_bom(data: bytes) -> int:
    """Where the text starts: after a UTF-8 byte order mark, if there is one."""
    return 3 if data.startswith(b"\xef\xbb\xbf") else 0


def refuse_cr_only(data: bytes, file_name: str) -> None:
    if b"\r" in data and b"\n" not in data:
        raise DpsFileError(file_name, 1, None, "the lines end in CR alone; the layout's line ends "
                           "are CRLF or LF, so the file is not read")


def blank(line: str | bytes) -> bool:
    if isinstance(line, str):
        return not line.strip(" ")
    return not line.strip(b" ")


def read_header(line: str, file_name: str, required: Sequence[str]) -> list[str]:
    """The header line's column names (stripped, upper-case); refused if it lacks or repeats a
    required column, or holds a control character."""
    fields = line.split(DELIMITER)
    check_characters(file_name, 1, fields, None)
    header = [field.strip().upper() for field in fields]
    for column in required:
        if column not in header:
            raise DpsFileError(file_name, 1, column, "the header lacks this column")
    _check_duplicates(file_name, header, required)
    return header


def check_line(file_name: str, number: int, line: str, named: list[str | None]) -> list[str]:
    """One data line (its line end removed) -> its fields, stripped; refused if blank, holding a
    control character or a stray CR, or not as many fields as the header."""
    if blank(line):
        raise DpsFileError(file_name, number, None, "blank line inside the file")
    fields = line.split(DELIMITER)
    if CONTROL_CHARACTERS.search(line):
        check_characters(file_name, number, fields, named)
    if len(fields) != len(named):
        raise DpsFileError(file_name, number, None, f"{len(fields)} field(s), the header has {len(named)}")
    return [field.strip() for field in fields]


def check_characters(file_name: str, number: int, fields: list[str], named: list[str | None] | None) -> None:
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


def parse_date(value: str) -> date:
    if not _DATE.match(value):
        raise BadValue(f"expected a date YYYYMMDD (8 digits), found {shape_of(value)}")
    try:
        day = datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise BadValue("expected a date YYYYMMDD, found 8 digits that are not a calendar day") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadValue(f"expected a date YYYYMMDD from {FIRST_DAY:%Y%m%d} to {LAST_DAY:%Y%m%d}, "
                       "found a day outside that range")
    return day


def parse_int(value: str) -> int:
    if not INTEGER.match(value):
        raise BadValue(f"expected a 64-bit integer, found {shape_of(value)}")
    number = int64_or_none(value)
    if number is None:
        raise BadValue(f"expected a 64-bit integer, found {shape_of(value)} outside the 64-bit range")
    return number


def int64_or_none(value: str) -> int | None:
    """An integer's text (INTEGER) as its number, None when outside 64 bits. Leading zeros do not
    count, and no more than 19 digits are converted: Python's int() refuses text of over 4,300
    digits with a ValueError of its own."""
    digits = value.lstrip("+-").lstrip("0")
    if len(digits) > _INT64_DIGITS:
        return None
    number = int(digits or "0")
    number = -number if value.startswith("-") else number
    return number if _INT64[0] <= number <= _INT64[1] else None


def _matching(predicate: Callable[[str], object], expected: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if not predicate(value):
            raise BadValue(f"expected {expected}, found {shape_of(value)}")
        return value

    return parse


def _text(value: str) -> str:
    return value


# Each column's rule, in the order the columns are checked (the first broken rule is reported).
COLUMN_RULES: tuple[tuple[str, Callable[[str], object]], ...] = (
    ("DFPS_PERSON_ID", parse_int),
    ("NIC", _matching(_NIC.match, "M followed by 9 digits")),
    *((column, _text) for column in RESULTS_TEXT_COLUMNS),
    ("MKE", _matching(MKE_CODES.__contains__, "one of " + " ".join(sorted(MKE_CODES)))),
    *((column, parse_date) for column in RESULTS_DATE_COLUMNS),
)


def column_value(raw: str, column: str, parse: Callable[[str], object], file_name: str, number: int) -> object:
    """A stripped field read by its column's rule; None for an allowed empty value."""
    if raw == "":
        if column in OPTIONAL_COLUMNS:
            return None
        raise DpsFileError(file_name, number, column, "empty, a value is required")
    try:
        return parse(raw)
    except BadValue as bad:
        raise DpsFileError(file_name, number, column, str(bad)) from None
