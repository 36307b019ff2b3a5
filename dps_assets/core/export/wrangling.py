"""Turning the conservatorship query's rows into the list of children sent to DPS (spec §3).

Values are read one by one (`core.impact.warehouse_values`), so one odd value rejects its own row with
a reason that says what is wrong, and never sinks the quarter: a PERSON_ID that is not a positive
whole number (0, 1.7) is rejected, never rounded; a DOB before 1900-01-01 or that is not a date
is rejected as such (a DOB past pandas' last day, 2262-04-11, is after the window end). A
PERSON_ID or a cleaned name longer than the text file's layout allows (`limits`) is rejected. A
CVS_START or CVS_END that is not a date counts as missing; one a datetime64 column cannot hold
(9999-12-31) is shown empty in the export, but orders the rows by its real value."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial

import pandas as pd

from dps_assets.core.impact.names import normalize_person_name
from dps_assets.core.impact.warehouse_values import (
    FIRST_DAY,
    Unreadable,
    as_timestamp,
    calendar_day,
    map_unique,
    whole_number,
)
from dps_assets.core.privacy.errors import ExchangeError

SOURCE_COLUMNS = (
    "PERSON_ID", "FIRST_NAME", "MIDDLE_NAME", "LAST_NAME", "DOB",
    "SEX", "RACE", "CNTY_NAME", "CVS_START", "CVS_END",
)
NAME_COLUMNS = ("LAST_NAME", "FIRST_NAME", "MIDDLE_NAME")
DATE_COLUMNS = ("DOB", "CVS_START", "CVS_END")
EXPORT_COLUMNS = (
    "PERSON_ID", "LAST_NAME", "FIRST_NAME", "MIDDLE_NAME", "DOB",
    "SEX", "RACE", "CNTY_NAME", "CVS_START", "CVS_END",
)

REASON_NO_PERSON_ID = "PERSON_ID is missing"
REASON_BAD_PERSON_ID = "PERSON_ID is not a positive whole number"
REASON_NO_LAST_NAME = "LAST_NAME is empty after cleaning"
REASON_NO_FIRST_NAME = "FIRST_NAME is empty after cleaning"
REASON_NO_DOB = "DOB is missing"
REASON_DOB_NOT_A_DATE = "DOB is not a date"
REASON_DOB_BEFORE_FIRST_DAY = f"DOB is before {FIRST_DAY.isoformat()}"
REASON_DOB_AFTER_WINDOW = "DOB is after the window end"
REASON_TOO_MANY_DIGITS = "PERSON_ID has more than the text file's {limit} digits"
REASON_TOO_LONG = "{column} is longer than the text file's {limit} characters after cleaning"


class ExportSourceError(ExchangeError, ValueError):
    """The export query's result does not have the columns the exchange needs."""


@dataclass(frozen=True)
class CodeMaps:
    """How IMPACT's SEX and RACE codes become NCIC codes. Keys are upper-case."""

    sex: Mapping[str, str]
    race: Mapping[str, str]
    unknown: str = "U"


@dataclass(frozen=True)
class ExportSplit:
    sent: pd.DataFrame
    rejected: pd.DataFrame
    duplicates_dropped: int


def normalize_columns(frame: pd.DataFrame, required: tuple[str, ...], source: str) -> pd.DataFrame:
    """Upper-case the column names and check that every required column is there."""
    renamed = frame.rename(columns=lambda c: str(c).strip().upper())
    missing = [c for c in required if c not in renamed.columns]
    if missing:
        raise ExportSourceError(
            f"{source}: the query result lacks column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, renamed.columns)) or 'none'}"
        )
    return renamed


def map_code(value: object, mapping: Mapping[str, str], unknown: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return unknown
    return mapping.get(str(value).strip().upper(), unknown)


def wrangle_export(rows: pd.DataFrame, window_end: date, codes: CodeMaps,
                   limits: Mapping[str, int] | None = None) -> ExportSplit:
    """Apply spec §3's rules in order: clean names, reject unusable rows, map codes, keep one row
    per person (latest CVS_START, ties to the earlier row), sort by PERSON_ID. `limits` are the
    text file's bounds by column (`TextLayout.length_limits`): PERSON_ID's in digits."""
    source = normalize_columns(rows, SOURCE_COLUMNS, "export query").reset_index(drop=True)
    source = source.loc[:, list(SOURCE_COLUMNS)]
    work = source.copy()

    for column in NAME_COLUMNS:
        work[column] = map_unique(work[column], normalize_person_name)
    person_ids, person_id_state = _read(work["PERSON_ID"], whole_number)
    days = {column: _read(work[column], calendar_day) for column in DATE_COLUMNS}
    work["PERSON_ID"] = person_ids
    for column in DATE_COLUMNS:
        work[column] = pd.to_datetime(days[column][0].map(as_timestamp))
    # The dedup order uses the real day, also where the datetime64 column cannot hold it.
    start_order = days["CVS_START"][0].map(lambda d: -1 if d is None else d.toordinal()).astype("int64")

    reasons = _rejection_reasons(person_ids, person_id_state, work, days["DOB"], window_end, limits or {})
    rejected_mask = reasons.str.len() > 0
    # The rejected rows keep their source values, in the Export sheet's column order.
    rejected = source.loc[rejected_mask, list(EXPORT_COLUMNS)].copy()
    rejected["REASON"] = reasons[rejected_mask]

    kept = work.loc[~rejected_mask].copy()
    kept["SEX"] = kept["SEX"].map(lambda v: map_code(v, codes.sex, codes.unknown))
    kept["RACE"] = kept["RACE"].map(lambda v: map_code(v, codes.race, codes.unknown))
    kept["PERSON_ID"] = kept["PERSON_ID"].astype("int64")

    # Latest CVS_START first; a stable sort keeps query order among ties, so keep="first" takes
    # the earlier row. A missing CVS_START counts as the oldest.
    ordered = kept.loc[start_order[~rejected_mask].sort_values(ascending=False, kind="stable").index]
    deduplicated = ordered.drop_duplicates(subset="PERSON_ID", keep="first")
    sent = deduplicated.sort_values("PERSON_ID", kind="stable").reset_index(drop=True)
    return ExportSplit(
        sent=sent.loc[:, list(EXPORT_COLUMNS)],
        rejected=rejected.reset_index(drop=True),
        duplicates_dropped=len(kept) - len(deduplicated),
    )


def _read(series: pd.Series, reader: Callable[[object], object]) -> tuple[pd.Series, pd.Series]:
    """(values, states): each value read by `reader`, None where missing or unreadable; each
    state "missing", "unreadable" or None (read)."""
    def one(value: object) -> tuple[object, str | None]:
        try:
            read = reader(value)
        except Unreadable:
            return None, "unreadable"
        return read, None if read is not None else "missing"

    pairs = map_unique(series, one)
    return pairs.map(lambda p: p[0]).astype("object"), pairs.map(lambda p: p[1]).astype("object")


def _rejection_reasons(person_ids: pd.Series, person_id_state: pd.Series, work: pd.DataFrame,
                       dob: tuple[pd.Series, pd.Series], window_end: date, limits: Mapping[str, int]) -> pd.Series:
    dob_days, dob_state = dob
    checks = (
        (person_id_state == "missing", REASON_NO_PERSON_ID),
        ((person_id_state == "unreadable") | person_ids.map(lambda i: i is not None and i <= 0),
         REASON_BAD_PERSON_ID),
        (work["LAST_NAME"].isna(), REASON_NO_LAST_NAME),
        (work["FIRST_NAME"].isna(), REASON_NO_FIRST_NAME),
        *_length_checks(person_ids, work, limits),
        (dob_state == "missing", REASON_NO_DOB),
        (dob_state == "unreadable", REASON_DOB_NOT_A_DATE),
        (dob_days.map(lambda d: d is not None and d < FIRST_DAY), REASON_DOB_BEFORE_FIRST_DAY),
        (dob_days.map(lambda d: d is not None and d > window_end), REASON_DOB_AFTER_WINDOW),
    )
    reasons = pd.Series([""] * len(work), index=work.index, dtype="object")
    for mask, reason in checks:
        reasons = reasons.where(~mask.astype(bool), reasons + "; " + reason)
    return reasons.str.removeprefix("; ")


def _length_checks(person_ids: pd.Series, work: pd.DataFrame, limits: Mapping[str, int]) -> list[tuple[pd.Series, str]]:
    """Values longer than the text file's layout allows: PERSON_ID in digits, names once cleaned."""
    checks = []
    if "PERSON_ID" in limits:
        limit = limits["PERSON_ID"]
        checks.append((person_ids.map(lambda i: i is not None and i > 0 and len(str(i)) > limit),
                       REASON_TOO_MANY_DIGITS.format(limit=limit)))
    for column in NAME_COLUMNS:
        if column in limits:
            limit = limits[column]
            checks.append((work[column].map(partial(_longer_than, limit)),
                           REASON_TOO_LONG.format(column=column, limit=limit)))
    return checks


def _longer_than(limit: int, name: object) -> bool:
    return isinstance(name, str) and len(name) > limit
