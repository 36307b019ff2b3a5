"""What a value becomes in an Excel cell, by rule, so that writing a workbook never fails on one.

- Text: every character XML 1.0 forbids (C0 controls other than tab, LF and CR; surrogates;
  U+FFFE, U+FFFF) is written as U+FFFD; text over Excel's 32,767 characters (counted in UTF-16,
  as Excel counts) is cut to 32,766 and ends in "…"; text that starts with "=" or reads like an
  Excel error ("#N/A") is written as text, never as a formula or an error.
- Dates and times: written as Excel dates, shown as US analysts read them (m/d/yyyy; a time of
  day as h:mm:ss AM/PM); a day outside Excel's calendar (before 1900-01-01) is written as ISO
  text (YYYY-MM-DD), which no reader can take for another day.
- Numbers: NaN is an empty cell; infinities, and whole numbers too large for a float, are
  written as text.
- Anything else (lists, bytes, objects): its text, by the rules above.
Every rule applied is counted, so the workbook's About sheet can say what was changed where."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

EXCEL_MAX_ROWS = 1_048_576            # rows on one worksheet
EXCEL_MAX_DATA_ROWS = EXCEL_MAX_ROWS - 1  # the header row takes one
EXCEL_MAX_CELL_CHARS = 32_767
EXCEL_FIRST_DAY = date(1900, 1, 1)
REPLACEMENT_CHARACTER = "\ufffd"
ELLIPSIS = "…"
DATE_FORMAT = "m/d/yyyy"
DATETIME_FORMAT = "m/d/yyyy h:mm:ss AM/PM"
TIME_FORMAT = "h:mm:ss AM/PM"
DURATION_FORMAT = "[h]:mm:ss"
COUNT_FORMAT = "#,##0"  # a count: thousands separated (an id or code is never written so)
INTEGER_FORMAT = "0"  # any other whole number (an id: every digit, never 1.23E+11)
GENERAL_FORMAT = "General"  # any other number
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_EXCEL_LEAP_DAY = np.datetime64("1900-03-01", "D")  # Excel counts a 1900-02-29 that never was
_FIRST_DAY = np.datetime64(EXCEL_FIRST_DAY.isoformat(), "D")
_DAY_US = 86_400_000_000
_LARGEST_INT = int(np.finfo(float).max)

XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})

REPLACED = "replaced"
TRUNCATED = "truncated"
DATES_AS_TEXT = "dates_as_text"
RULE_NOTES = {
    REPLACED: "cell(s) with characters XML forbids, each written as U+FFFD",
    TRUNCATED: f"cell(s) over {EXCEL_MAX_CELL_CHARS:,} characters, cut to {EXCEL_MAX_CELL_CHARS - 1:,} "
               f"followed by {ELLIPSIS}",
    DATES_AS_TEXT: f"date(s) before {EXCEL_FIRST_DAY.isoformat()} (outside Excel's calendar), written "
                   "as text YYYY-MM-DD",
}


@dataclass(frozen=True)
class StyledValue:
    """A value that needs its own cell: a number format (dates) or forced text."""

    value: object
    number_format: str | None = None
    as_text: bool = False


@dataclass
class RuleTally:
    """How often each rule was applied, per sheet."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, sheet: str, rule: str) -> None:
        self.counts.setdefault(sheet, Counter())[rule] += 1

    def notes(self) -> list[tuple[str, str]]:
        return [(f"{sheet}: {RULE_NOTES[rule]}", str(count))
                for sheet, counter in self.counts.items() for rule, count in sorted(counter.items())]


def cell_text(text: str, sheet: str, tally: RuleTally) -> str:
    if XML_FORBIDDEN.search(text):
        text = XML_FORBIDDEN.sub(REPLACEMENT_CHARACTER, text)
        tally.add(sheet, REPLACED)
    if len(text) > EXCEL_MAX_CELL_CHARS // 2 and _utf16_length(text) > EXCEL_MAX_CELL_CHARS:
        text = _cut_utf16(text, EXCEL_MAX_CELL_CHARS - 1) + ELLIPSIS
        tally.add(sheet, TRUNCATED)
    return text


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cut_utf16(text: str, units: int) -> str:
    # Never split a character that takes two UTF-16 units: "ignore" drops a half pair.
    return text.encode("utf-16-le", "surrogatepass")[: 2 * units].decode("utf-16-le", "ignore")


def cell_value(value: object, sheet: str, tally: RuleTally) -> object:
    """`value` as the writer writes it: None (an empty cell), str, bool, int, float, or a
    `StyledValue` (a date, datetime, time or duration with its number format; or forced text)."""
    if type(value) is str:
        return _text(value, sheet, tally)
    kind = type(value)
    if value is None or kind is bool:
        return value
    if isinstance(value, int):
        return _integer(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return None
        return number if math.isfinite(number) else str(number)
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if isinstance(value, Decimal):
        if value.is_nan():
            return None
        return float(value) if value.is_finite() else str(value)
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        value = _numpy_moment(value)
        if isinstance(value, str):
            return _text(value, sheet, tally)
    if isinstance(value, (date, datetime)):
        return _moment(value, sheet, tally)
    if isinstance(value, time):
        return StyledValue(value.replace(tzinfo=None), number_format=TIME_FORMAT)
    if isinstance(value, np.timedelta64):
        if np.isnat(value):
            return None
        value = pd.Timedelta(value).to_pytimedelta()
    if isinstance(value, timedelta):
        return StyledValue(value, number_format=DURATION_FORMAT)
    return _text(str(value), sheet, tally)


def _integer(value: int) -> int | str:
    """A whole number past what a float (an Excel number) can hold is written as its digits."""
    return value if -_LARGEST_INT <= value <= _LARGEST_INT else str(value)


def _text(text: str, sheet: str, tally: RuleTally) -> object:
    text = cell_text(text, sheet, tally)
    if text.startswith("=") or text in _EXCEL_ERRORS:
        return StyledValue(text, as_text=True)
    return text


def _numpy_moment(value: np.datetime64) -> date | datetime | str:
    """A numpy datetime64 of any unit as a Python date/datetime (years 1..9999)."""
    for unit, kind in (("datetime64[us]", datetime), ("datetime64[D]", date)):
        try:
            moment = value.astype(unit).astype(kind)
        except (ValueError, OverflowError):
            continue
        if isinstance(moment, date):
            return moment
    return str(value)


def _moment(value: date | datetime, sheet: str, tally: RuleTally) -> object:
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        if value.time() == time(0):
            value = value.date()
    day = value if not isinstance(value, datetime) else value.date()
    if day < EXCEL_FIRST_DAY:
        tally.add(sheet, DATES_AS_TEXT)
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    number_format = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
    return StyledValue(value, number_format=number_format)


def excel_serials(moments: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For an array of numpy datetime64 (any unit): their Excel serial numbers (days since
    1899-12-30, one less before 1900-03-01 as Excel counts), whether each is at midnight, and
    whether each is in Excel's calendar (on or after 1900-01-01). NaT gives meaningless values."""
    days = moments.astype("datetime64[D]")
    microseconds = (moments - days).astype("timedelta64[us]").astype(np.int64)
    serials = (days - _EXCEL_EPOCH).astype(np.int64).astype(float)
    serials -= days < _EXCEL_LEAP_DAY
    serials += microseconds / _DAY_US
    return serials, microseconds == 0, days >= _FIRST_DAY
