"""Reading one value of a warehouse row at a time, whatever shape the driver gave it.

A query's frame is built from the driver's Python objects: a column is datetime64 when every
value fits pandas' nanosecond range, and a column of Python `date` objects (DuckDB's DATE, or a
TIMESTAMP out of that range) otherwise; Oracle's NUMBER arrives as int, float or Decimal. Column-
wide conversion fails (or silently coerces) on one odd value, so the exchange reads the values
one by one and says what is wrong with each, without quoting it."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from numbers import Integral

import numpy as np
import pandas as pd
from pandas.api.typing import NaTType

from dps_assets.core.privacy.shapes import CONTROL_CHARACTERS

# The days the exchange's frames can hold: pandas' datetime64[ns] ends on 2262-04-11 (and starts
# in 1677); Excel's calendar starts on 1900-01-01, so no date of birth before it is plausible.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = pd.Timestamp.max.date()
PANDAS_FIRST_DAY = (pd.Timestamp.min + pd.Timedelta(days=1)).date()
INT64_MAX = 2**63 - 1
_INT64_DIGITS = len(str(INT64_MAX))  # 19


class Unreadable(ValueError):
    """The value is there but is not of the kind the column holds."""


def is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    if isinstance(value, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(value))
    if isinstance(value, Decimal):
        return value.is_nan()
    return False


def calendar_day(value: object) -> date | None:
    """The calendar day of a date, datetime, Timestamp, numpy datetime64 or ISO text; None when
    missing; `Unreadable` when it is not a date. No range limit (year 1 to 9999)."""
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        try:
            moment = value.astype("datetime64[D]").astype(object)
        except (ValueError, OverflowError):
            raise Unreadable from None
        if not isinstance(moment, date):
            raise Unreadable
        return moment
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return datetime.fromisoformat(text).date()  # any year, unlike pandas
        except ValueError:
            return _pandas_day(text)
    raise Unreadable


def _pandas_day(text: str) -> date:
    try:
        moment = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        raise Unreadable from None
    if pd.isna(moment):  # "NaT" and its spellings
        raise Unreadable
    return moment.date()


def as_timestamp(day: date | None) -> pd.Timestamp | NaTType:
    """A day as a midnight Timestamp, NaT when it is missing or outside what pandas holds."""
    if day is None or not PANDAS_FIRST_DAY <= day <= LAST_DAY:
        return pd.NaT
    return pd.Timestamp(day)


def whole_number(value: object) -> int | None:
    """An integer id from int, float, Decimal, numpy or digit text; None when missing;
    `Unreadable` when it has a fraction, is not a number, or is outside 64 bits."""
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        raise Unreadable
    if isinstance(value, Integral):
        number = int(value)
    elif isinstance(value, (Decimal, str)):
        number = _decimal_whole_number(value)
    elif isinstance(value, float | np.floating):
        if not math.isfinite(value) or value != int(value):
            raise Unreadable
        number = int(value)
    else:
        raise Unreadable
    if not -INT64_MAX - 1 <= number <= INT64_MAX:
        raise Unreadable
    return number


def _decimal_whole_number(value: Decimal | str) -> int:
    """A Decimal or decimal text as an int, looked at before it is converted: `1e999999999999`
    is a whole number whose int() would not fit in memory (and `1e999999` takes minutes)."""
    try:
        parsed = value if isinstance(value, Decimal) else Decimal(value.strip())
    except InvalidOperation:
        raise Unreadable from None
    if not parsed.is_finite() or parsed.adjusted() > _INT64_DIGITS or parsed != parsed.to_integral_value():
        raise Unreadable
    return int(parsed)


def control_characters(text: str) -> int:
    """How many characters of `text` are control characters (`core.privacy.shapes.CONTROL_CHARACTERS`:
    C0 with tab and line breaks, DEL, C1, separators, U+FFFE/U+FFFF)."""
    return len(CONTROL_CHARACTERS.findall(text))


def map_unique(series: pd.Series, function: Callable[[object], object]) -> pd.Series:
    """Apply `function` once per distinct value (dates and names repeat a lot across 60,000
    rows), giving an object series on the same index."""
    lookup: dict[object, object] = {}
    results = []
    for value in series.astype("object"):
        key = _key(value)
        if key not in lookup:
            lookup[key] = function(value)
        results.append(lookup[key])
    return pd.Series(results, index=series.index, dtype="object")


def _key(value: object) -> object:
    """A hashable key that keeps 1, 1.0 and True apart (a dict would merge them) and folds every
    kind of missing value together."""
    if is_missing(value):
        return ("missing",)
    try:
        hash(value)
    except TypeError:
        return ("unhashable", type(value).__name__, repr(value))
    return (type(value).__name__, value)
