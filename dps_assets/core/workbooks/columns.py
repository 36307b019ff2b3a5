"""A block of a frame's column as the cells the workbook writer writes, by `excel_values`'
rules, decided once per column from its dtype (vectorised) rather than once per cell.

A column comes out as one of five kinds: TEXT (str or None: written as text, so never a formula
or an error value), NUMBER (int/float or None; whole numbers in INTEGER_FORMAT, others in
GENERAL_FORMAT), BOOLEAN, DATE (Excel serial numbers or None, all in one number format), or
MIXED (any value `excel_values.cell_value` returns, decided per cell: an object column of odd
values, or a date column with times, infinities, or days before 1900)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from dps_assets.core.workbooks.excel_values import (
    DATE_FORMAT,
    EXCEL_MAX_CELL_CHARS,
    GENERAL_FORMAT,
    INTEGER_FORMAT,
    XML_FORBIDDEN,
    RuleTally,
    StyledValue,
    cell_text,
    cell_value,
    excel_serials,
)

TEXT, NUMBER, BOOLEAN, DATE, MIXED = "text", "number", "boolean", "date", "mixed"

_NONE = type(None)
_TEXT_TYPES = frozenset({str, _NONE, float})  # float: the NaN pandas puts in a text column


@dataclass(frozen=True)
class ColumnCells:
    kind: str
    values: Sequence[object]  # one per row; None is an empty cell
    number_format: str | None = None  # NUMBER, DATE: the format of every cell


def column_cells(series: pd.Series, sheet: str, tally: RuleTally) -> ColumnCells:
    """The cells of `series` (a block of rows of one column), counting applied rules on `tally`."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return column_cells(series.astype(object), sheet, tally)
    if pd.api.types.is_bool_dtype(dtype) and not series.hasnans:
        return ColumnCells(BOOLEAN, series.to_numpy(dtype=bool).tolist())
    if pd.api.types.is_integer_dtype(dtype):
        return ColumnCells(NUMBER, _objects(series), INTEGER_FORMAT)
    if pd.api.types.is_float_dtype(dtype):
        return _floats(series.to_numpy(dtype=float, na_value=np.nan))
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _moments(series, sheet, tally)
    is_object = pd.api.types.is_object_dtype(dtype)
    if pd.api.types.is_string_dtype(dtype) or is_object:
        values = series.tolist() if is_object else _objects(series)
        if set(map(type, values)) <= _TEXT_TYPES:
            texts = _texts(values)
            if texts is not None:
                return ColumnCells(TEXT, _clean(texts, sheet, tally))
        return _mixed(values, sheet, tally)
    return _mixed(series.tolist(), sheet, tally)


def _objects(series: pd.Series) -> list[object]:
    """The values as Python objects, pandas' NA as None."""
    # pandas takes (and documents) na_value=None; pandas-stubs' na_value leaves None out.
    values: list[object] = series.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[call-overload]
    return values


def _texts(values: list[object]) -> list[str | None] | None:
    """`values` (str, None or float, as `column_cells` checked) with NaN as None, or None if a float
    other than NaN is among them."""
    if not any(type(v) is float for v in values):
        return cast("list[str | None]", values)  # str and None alone: their types were checked
    if any(type(v) is float and v == v for v in values):
        return None
    return cast("list[str | None]", [None if type(v) is float else v for v in values])


def _clean(texts: list[str | None], sheet: str, tally: RuleTally) -> list[str | None]:
    """Text by the rules, looking at each cell only when the block as a whole needs it."""
    present = [t for t in texts if t is not None]
    if not present:
        return texts
    longest = max(map(len, present))
    if longest <= EXCEL_MAX_CELL_CHARS // 2 and not XML_FORBIDDEN.search("".join(present)):
        return texts
    return [None if t is None else cell_text(t, sheet, tally) for t in texts]


def _floats(numbers: np.ndarray) -> ColumnCells:
    finite = np.isfinite(numbers)
    if finite.all():
        return ColumnCells(NUMBER, numbers.tolist(), GENERAL_FORMAT)
    values = numbers.astype(object)
    values[np.isnan(numbers)] = None
    infinite = np.isinf(numbers)
    values[infinite] = [str(v) for v in numbers[infinite]]
    if infinite.any():
        return ColumnCells(MIXED, values.tolist())
    return ColumnCells(NUMBER, values.tolist(), GENERAL_FORMAT)


def _moments(series: pd.Series, sheet: str, tally: RuleTally) -> ColumnCells:
    """Excel serials, vectorised; a time of day or a day before 1900 makes the column MIXED."""
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_localize(None)  # the wall-clock time, as written before
    moments = series.to_numpy()
    missing = np.isnat(moments)
    serials, midnight, in_calendar = excel_serials(moments)
    values = serials.astype(object)
    values[missing] = None
    if (midnight | missing).all() and (in_calendar | missing).all():
        return ColumnCells(DATE, values.tolist(), DATE_FORMAT)
    out = values.tolist()
    for index in np.flatnonzero(~missing & (~midnight | ~in_calendar)):
        if in_calendar[index]:
            moment = cell_value(series.iloc[index], sheet, tally)
            assert isinstance(moment, StyledValue)  # a day in Excel's calendar with a time of day
            out[index] = StyledValue(out[index], number_format=moment.number_format)
        else:
            out[index] = cell_value(series.iloc[index], sheet, tally)  # ISO text, counted
    for index in np.flatnonzero(~missing & midnight & in_calendar):
        out[index] = StyledValue(out[index], number_format=DATE_FORMAT)
    return ColumnCells(MIXED, out)


def _mixed(values: list[object], sheet: str, tally: RuleTally) -> ColumnCells:
    return ColumnCells(MIXED, [cell_value(v, sheet, tally) for v in values])
