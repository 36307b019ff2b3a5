"""IMPACT's runaway events (sa_98) that the matching can use, and the rows it cannot.

One odd row must not sink a quarter: a row whose id is not a whole number, whose RUNAWAY_DATE is
missing, whose dates are not dates or fall outside the days the exchange holds (1900-01-01 ..
2262-04-11), whose RUNAWAY_EVENT_ID repeats, or whose text holds control characters is set aside,
with its RUNAWAY_EVENT_ID (or its row number when the id itself is unreadable) and what is wrong
with it, naming columns and shapes, never values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial

import pandas as pd

from dps_assets.core.impact.warehouse_values import (
    FIRST_DAY,
    LAST_DAY,
    Unreadable,
    as_timestamp,
    calendar_day,
    control_characters,
    map_unique,
    whole_number,
)

ID_COLUMNS = ("PERSON_ID", "RUNAWAY_EVENT_ID")
DATE_COLUMNS = ("DOB", "RUNAWAY_DATE", "RETURN_DATE")
REQUIRED_DATE_COLUMNS = ("RUNAWAY_DATE",)
TEXT_COLUMNS = ("FIRST_NAME", "LAST_NAME", "SEX", "RACE", "CNTY_NAME", "LIVING_ARRANGEMENT")
SET_ASIDE_COLUMNS = ("QUERY_ROW", "RUNAWAY_EVENT_ID", "PROBLEM")


@dataclass(frozen=True)
class Sa98Rows:
    usable: pd.DataFrame     # ids as int64, dates as datetime64 calendar days, text as it came
    set_aside: pd.DataFrame  # QUERY_ROW (1-based), RUNAWAY_EVENT_ID (Int64, <NA> if unreadable), PROBLEM


def split_sa_98_rows(rows: pd.DataFrame) -> Sa98Rows:
    """Columns are matched case-insensitively; a missing column is left for the schema to name."""
    frame = rows.rename(columns=lambda c: str(c).strip().upper()).reset_index(drop=True)
    problems: list[pd.Series] = []
    typed = frame.copy()
    for column in ID_COLUMNS:
        if column in frame:
            values, problem = _read(frame[column], whole_number, column, "a whole number", required=True)
            typed[column] = values
            problems.append(problem)
    for column in DATE_COLUMNS:
        if column in frame:
            values, problem = _read(frame[column], _day_in_range, column, "a date", column in REQUIRED_DATE_COLUMNS)
            typed[column] = pd.to_datetime(values.map(as_timestamp))
            problems.append(problem)
    for column in TEXT_COLUMNS:
        if column in frame:
            problems.append(map_unique(frame[column], partial(_control_problem, column=column)))
    if "RUNAWAY_EVENT_ID" in frame:
        ids = typed["RUNAWAY_EVENT_ID"]
        repeated = ids.notna() & ids.duplicated(keep=False)
        problems.append(pd.Series([["RUNAWAY_EVENT_ID repeats"] if r else [] for r in repeated],
                                  index=frame.index, dtype="object"))
    joined: pd.Series = pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype="object")
    for problem in problems:
        joined = pd.Series([a + b for a, b in zip(joined, problem, strict=True)], index=frame.index, dtype="object")
    bad = joined.map(bool).astype(bool)

    usable = typed.loc[~bad].reset_index(drop=True)
    for column in ID_COLUMNS:
        if column in usable:
            usable[column] = usable[column].astype("int64")
    set_aside = pd.DataFrame({
        "QUERY_ROW": pd.Series(frame.index[bad] + 1, dtype="int64"),
        "RUNAWAY_EVENT_ID": pd.Series(typed.loc[bad, "RUNAWAY_EVENT_ID"].tolist() if "RUNAWAY_EVENT_ID" in typed
                                      else [None] * int(bad.sum()), dtype="Int64"),
        "PROBLEM": pd.Series(["; ".join(p) for p in joined[bad]], dtype="object"),
    })
    return Sa98Rows(usable=usable, set_aside=set_aside)


def _day_in_range(value: object) -> date | None:
    day = calendar_day(value)
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise _OutOfRange
    return day


class _OutOfRange(Unreadable):
    pass


def _read(series: pd.Series, reader: Callable[[object], object], column: str, kind: str,
          required: bool) -> tuple[pd.Series, pd.Series]:
    def one(value: object) -> tuple[object, list[str]]:
        try:
            read = reader(value)
        except _OutOfRange:
            return None, [f"{column} is outside {FIRST_DAY.isoformat()} .. {LAST_DAY.isoformat()}"]
        except Unreadable:
            return None, [f"{column} is not {kind}"]
        if read is None and required:
            return None, [f"{column} is missing"]
        return read, []

    pairs = map_unique(series, one)
    return (pairs.map(lambda p: p[0]).astype("object"), pairs.map(lambda p: p[1]).astype("object"))


def _control_problem(value: object, column: str) -> list[str]:
    if not isinstance(value, str):
        return []
    count = control_characters(value)
    return [f"{column} holds {count} control character(s)"] if count else []
