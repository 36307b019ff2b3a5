"""pandera schemas of the exchange's frames, and validation that never echoes a value.

pandera's own error text quotes the failing values; for these frames those would be children's
names and dates of birth. `validate` reports the column, the check and the failing row numbers."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from dps_assets.core.privacy.errors import ExchangeError

# Cleaned names: A-Z, hyphen and apostrophe, single spaces between words, nothing at the ends.
NAME_PATTERN = r"^[A-Z'\-]+( [A-Z'\-]+)*$"
_MAX_ROWS_NAMED = 10


class FrameValidationError(ExchangeError, ValueError):
    """A frame broke its schema. The message names columns, checks and rows, never values."""


def _name(nullable: bool = False) -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(NAME_PATTERN), nullable=nullable)


EXPORT_SCHEMA = pa.DataFrameSchema(
    {
        "PERSON_ID": pa.Column("int64", pa.Check.gt(0), unique=True),
        "LAST_NAME": _name(),
        "FIRST_NAME": _name(),
        "MIDDLE_NAME": _name(nullable=True),
        "DOB": pa.Column("datetime64[ns]"),
        "SEX": pa.Column(str, pa.Check.isin(["M", "F", "U"])),
        "RACE": pa.Column(str, pa.Check.str_length(1, 2)),
        "CNTY_NAME": pa.Column(str, nullable=True),
        "CVS_START": pa.Column("datetime64[ns]", nullable=True),
        "CVS_END": pa.Column("datetime64[ns]", nullable=True),
    },
    name="DpsExport",
    title="Children sent to DPS",
    description="One row per child in conservatorship during the window, cleaned per spec §3.",
    strict=True,
    ordered=True,
    coerce=True,
)

EXPORT_REJECTED_SCHEMA = pa.DataFrameSchema(
    {"REASON": pa.Column(str, pa.Check.str_length(min_value=1))},
    name="DpsExportRejected",
    title="Rows not sent to DPS",
    description="Source rows of the export query that were not sent, with the reason.",
    strict=False,
    coerce=True,
)


DPS_RESULTS_SCHEMA = pa.DataFrameSchema(
    {
        "DFPS_PERSON_ID": pa.Column("int64"),
        "NIC": pa.Column(str, pa.Check.str_matches(r"^M\d{9}$"), unique=True),
        "LAST_NAME": pa.Column(str),
        "FIRST_NAME": pa.Column(str),
        "DOB": pa.Column("datetime64[ns]"),
        "SEX": pa.Column(str),
        "RACE": pa.Column(str),
        "MKE": pa.Column(str, pa.Check.isin(["EMJ", "EME", "EMI", "EMD", "EMV", "EMO"])),
        "ORI": pa.Column(str),
        "AGENCY_COUNTY": pa.Column(str),
        "ENTRY_DATE": pa.Column("datetime64[ns]"),
        "MISSING_DATE": pa.Column("datetime64[ns]"),
        "CLEAR_DATE": pa.Column("datetime64[ns]", nullable=True),
        "SOURCE_LINE": pa.Column("int64", pa.Check.ge(2)),
    },
    name="DpsResults",
    title="DPS missing-person entries",
    description="Dfps-missing-person-results.txt, one row per TCIC entry, typed.",
    strict=True,
    ordered=True,
    coerce=True,
)

SA_98_SCHEMA = pa.DataFrameSchema(
    {
        "PERSON_ID": pa.Column("int64"),
        "RUNAWAY_EVENT_ID": pa.Column("int64", unique=True),
        "FIRST_NAME": pa.Column(str, nullable=True),
        "LAST_NAME": pa.Column(str, nullable=True),
        "DOB": pa.Column("datetime64[ns]", nullable=True),
        "SEX": pa.Column(str, nullable=True),
        "RACE": pa.Column(str, nullable=True),
        "CNTY_NAME": pa.Column(str, nullable=True),
        "RUNAWAY_DATE": pa.Column("datetime64[ns]"),
        "RETURN_DATE": pa.Column("datetime64[ns]", nullable=True),
        "LIVING_ARRANGEMENT": pa.Column(str, nullable=True),
    },
    name="Sa98",
    title="IMPACT runaway events (sa_98)",
    description="Runaway events of the fiscal year from caps.qtr_dps_cvs_pkg.get_sa_98.",
    strict="filter",
    ordered=False,
    coerce=True,
)

COUNTY_REGION_SCHEMA = pa.DataFrameSchema(
    {
        "CNTY_NAME": pa.Column(str),
        "REGION": pa.Column(str),
        "COUNTY_KEY": pa.Column(str, pa.Check.str_matches(r"^[A-Z]+$"), unique=True),
    },
    name="CountyRegionLookup",
    title="County -> region lookup",
    description="caps.cnty_reg_tableau with county names normalised for comparison.",
    strict=True,
    coerce=True,
)


SA_98_DATE_COLUMNS = ("DOB", "RUNAWAY_DATE", "RETURN_DATE")


def calendar_days(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """A copy of a validated frame whose datetime `columns` keep the day and drop the time.
    Oracle DATE values carry a time of day; the spec compares calendar days (a runaway at 14:00
    on a window's last day is in the window, and the tolerance counts whole days)."""
    frame = frame.copy()
    for column in columns:
        frame[column] = frame[column].dt.normalize()
    return frame


def validate(schema: pa.DataFrameSchema, frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """Validate (and coerce) `frame`; return the validated frame."""
    try:
        return schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        raise FrameValidationError(_describe(exc, what)) from None


def _describe(exc: SchemaErrors, what: str) -> str:
    cases = exc.failure_cases
    lines = [f"{what}: {len(cases)} schema violation(s)"]
    grouped = cases.groupby([cases["column"].astype(str), cases["check"].astype(str)], sort=True)
    for (column, check), group in grouped:
        rows = sorted({int(i) + 1 for i in group["index"].dropna().tolist()})
        shown = ", ".join(map(str, rows[:_MAX_ROWS_NAMED])) + (" …" if len(rows) > _MAX_ROWS_NAMED else "")
        where = f" at row(s) {shown}" if rows else ""
        lines.append(f"  column {column}: fails {check} ({len(group)} case(s)){where}")
    return "\n".join(lines)
