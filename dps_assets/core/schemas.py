"""pandera schemas of the exchange's frames, and validation that never echoes a value.

pandera's own error text quotes the failing values; for these frames those would be children's
names and dates of birth. `validate` and `check_frame` report the column, the check and the
failing row numbers."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandas.api.types import infer_dtype
from pandera.engines import pandas_engine
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
    grouped = cases.groupby([cases["column"].astype(str), cases["check"].astype(str)], sort=True)
    return _violations(what, len(cases), [(column, check, len(group), group["index"].dropna().tolist())
                                          for (column, check), group in grouped])


def _violations(what: str, count: int, failures: list[tuple[str, str, int, list[int]]]) -> str:
    """The message: per (column, check), how many cases and at which rows (1-based positions)."""
    lines = [f"{what}: {count} schema violation(s)"]
    for column, check, cases, at in failures:
        rows = sorted({int(i) + 1 for i in at})
        shown = ", ".join(map(str, rows[:_MAX_ROWS_NAMED])) + (" …" if len(rows) > _MAX_ROWS_NAMED else "")
        where = f" at row(s) {shown}" if rows else ""
        lines.append(f"  column {column}: fails {check} ({cases} case(s)){where}")
    return "\n".join(lines)


def check_frame(schema: pa.DataFrameSchema, frame: pd.DataFrame, what: str) -> None:
    """`validate` for a frame that must already be as `schema` says (a Dagster type's check: the
    frame is handed on as it is, so nothing is converted, and a column of another type fails).
    Columns, types, nulls, uniqueness and the built-in checks the schemas use are checked column
    by column in bulk, not value by value in Python as pandera checks a str column (1 M rows of
    DPS's results: pandera took 2.7 s). Raises FrameValidationError, naming columns, checks and
    rows, never values. A schema with more than this knows (frame-wide checks, parsers, an index)
    is left to pandera, through `validate`."""
    if (schema.checks or schema.index is not None or schema.unique or schema.parsers or schema.add_missing_columns
            or any(c.regex or c.parsers for c in schema.columns.values())):
        validate(schema, frame, what)
        return
    failures = frame_failures(schema, frame)
    if failures:
        raise FrameValidationError(_violations(what, sum(f[2] for f in failures), failures))


def frame_failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> list[tuple[str, str, int, list[int]]]:
    """What `check_frame` finds: (column, check, cases, failing row positions: none where the
    column as a whole fails), in the order of the column and the check, as pandera names them."""
    failures: list[tuple[str, str, int, list[int]]] = []
    extra = [c for c in frame.columns if c not in schema.columns]
    if schema.strict is True and extra:
        failures.append((str(schema.name), "column_in_schema", len(extra), []))
    present = [c for c in frame.columns if c in schema.columns]
    if schema.ordered and present != [c for c in schema.columns if c in present]:
        failures.append((str(schema.name), "column_ordered", 1, []))
    for name, column in schema.columns.items():
        if name not in frame.columns:
            if column.required:
                failures.append((name, "column_in_dataframe", 1, []))
            continue
        failures += [(name, check, max(1, len(rows)), rows) for check, rows in _column_failures(column, frame[name])]
    return sorted(failures, key=lambda failure: failure[:2])


def _column_failures(column: pa.Column, values: pd.Series) -> list[tuple[str, list[int]]]:
    """(check, failing row positions; none for the column as a whole) of one column. As pandera
    does, a column of the wrong type is still checked for nulls, repeats and its checks."""
    series = values.reset_index(drop=True)
    failures: list[tuple[str, list[int]]] = []
    typed = column.dtype is None or column.dtype.check(pandas_engine.Engine.dtype(series.dtype))
    if not typed:
        failures.append((f"dtype('{column.dtype}')", []))
    all_text = infer_dtype(series, skipna=True) in ("string", "empty")  # every value present a str
    if all_text and infer_dtype(series, skipna=False) == "string":
        missing = np.zeros(len(series), dtype=bool)
    else:
        missing = series.isna().to_numpy()
        if typed and str(column.dtype) == "str" and not all_text:  # which are not: one by one
            text = np.fromiter((isinstance(v, str) for v in series), bool, len(series)) | missing
            failures.append((f"dtype('{column.dtype}')", np.flatnonzero(~text).tolist()))
    if not column.nullable and missing.any():
        failures.append(("not_nullable", np.flatnonzero(missing).tolist()))
    factorized = pd.factorize(series) if column.unique or any(c.name == "str_matches" for c in column.checks) else None
    if column.unique and factorized is not None and len(factorized[1]) < len(series) - int(missing.sum()):
        repeated = series.duplicated(keep=False).to_numpy() & ~missing
        failures.append(("field_uniqueness", np.flatnonzero(repeated).tolist()))
    for check in column.checks:
        try:
            passed = _passes(check, series, factorized, all_text)
        except Exception:  # noqa: BLE001 - a check that cannot run on these values (say, >= on text) fails
            failures.append((check.error or check.name, []))
            continue
        if check.ignore_na:
            passed = passed | missing
        if not passed.all():
            failures.append((check.error or check.name, np.flatnonzero(~passed).tolist()))
    return failures


def _passes(check: pa.Check, series: pd.Series, factorized: tuple[np.ndarray, pd.Index] | None,
            all_text: bool) -> np.ndarray:
    """Where `series` passes `check`: str_matches tries its pattern once per distinct value (a
    regular expression is Python's to run); any other check as pandera runs it (isin,
    greater_than, str_length, …: pandas, in bulk)."""
    if check.name == "str_matches":
        assert factorized is not None and check.statistics is not None  # factorized for str_matches
        codes, distinct = factorized
        pattern = re.compile(check.statistics["pattern"])
        matched = np.fromiter(map(bool, map(pattern.match, distinct)) if all_text else
                              (isinstance(v, str) and pattern.match(v) is not None for v in distinct),
                              bool, len(distinct))
        found: np.ndarray = np.append(matched, False)[codes]  # code -1, missing: False, as pandera's na=False
        return found
    output = check(series).check_output
    if not isinstance(output, pd.Series):
        return np.full(len(series), bool(output))
    passed = np.ones(len(series), dtype=bool)  # rows pandera left out (missing values, ignore_na) pass
    passed[output.index.to_numpy()] = output.to_numpy(dtype=bool)
    return passed
