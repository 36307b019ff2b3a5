"""Turning the conservatorship query's rows into the list of children sent to DPS (spec §3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from dps_assets.core.errors import ExchangeError
from dps_assets.core.names import normalize_person_name

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
REASON_NO_LAST_NAME = "LAST_NAME is empty after cleaning"
REASON_NO_FIRST_NAME = "FIRST_NAME is empty after cleaning"
REASON_NO_DOB = "DOB is missing"
REASON_DOB_AFTER_WINDOW = "DOB is after the window end"


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


def wrangle_export(rows: pd.DataFrame, window_end: date, codes: CodeMaps) -> ExportSplit:
    """Apply spec §3's rules in order: clean names, reject unusable rows, map codes, keep one row
    per person (latest CVS_START, ties to the earlier row), sort by PERSON_ID."""
    source = normalize_columns(rows, SOURCE_COLUMNS, "export query").reset_index(drop=True)
    source = source.loc[:, list(SOURCE_COLUMNS)]
    work = source.copy()

    for column in NAME_COLUMNS:
        work[column] = _map_unique(work[column], normalize_person_name)
    for column in DATE_COLUMNS:
        work[column] = pd.to_datetime(work[column], errors="coerce").dt.normalize()
    work["PERSON_ID"] = pd.to_numeric(work["PERSON_ID"], errors="coerce")

    reasons = _rejection_reasons(work, pd.Timestamp(window_end))
    rejected_mask = reasons.str.len() > 0
    rejected = source.loc[rejected_mask].copy()
    rejected["REASON"] = reasons[rejected_mask]

    kept = work.loc[~rejected_mask].copy()
    kept["SEX"] = kept["SEX"].map(lambda v: map_code(v, codes.sex, codes.unknown))
    kept["RACE"] = kept["RACE"].map(lambda v: map_code(v, codes.race, codes.unknown))
    kept["PERSON_ID"] = kept["PERSON_ID"].astype("int64")

    # Latest CVS_START first; a stable sort keeps query order among ties, so keep="first" takes
    # the earlier row. A missing CVS_START counts as the oldest.
    ordered = kept.sort_values("CVS_START", ascending=False, kind="stable", na_position="last")
    deduplicated = ordered.drop_duplicates(subset="PERSON_ID", keep="first")
    sent = deduplicated.sort_values("PERSON_ID", kind="stable").reset_index(drop=True)
    return ExportSplit(
        sent=sent.loc[:, list(EXPORT_COLUMNS)],
        rejected=rejected.reset_index(drop=True),
        duplicates_dropped=len(kept) - len(deduplicated),
    )


def _rejection_reasons(work: pd.DataFrame, window_end: pd.Timestamp) -> pd.Series:
    checks = (
        (work["PERSON_ID"].isna(), REASON_NO_PERSON_ID),
        (work["LAST_NAME"].isna(), REASON_NO_LAST_NAME),
        (work["FIRST_NAME"].isna(), REASON_NO_FIRST_NAME),
        (work["DOB"].isna(), REASON_NO_DOB),
        (work["DOB"] > window_end, REASON_DOB_AFTER_WINDOW),
    )
    reasons = pd.Series([""] * len(work), index=work.index, dtype="object")
    for mask, reason in checks:
        reasons = reasons.where(~mask, reasons + "; " + reason)
    return reasons.str.removeprefix("; ")


def _map_unique(series: pd.Series, function) -> pd.Series:
    """Apply `function` once per distinct value: names repeat a lot across 60,000 rows."""
    as_object = series.astype("object").where(series.notna(), None)
    lookup = {value: function(value) for value in pd.unique(as_object)}
    return as_object.map(lookup).astype("object")
