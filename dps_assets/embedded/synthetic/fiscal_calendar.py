"""Fiscal years (1 Sep .. 31 Aug) and the day numbers the generators compute with."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

_EPOCH = date(1970, 1, 1)
YEAR = 365.2425
AGE_12, AGE_10, AGE_18 = round(12 * YEAR), round(10 * YEAR), round(18 * YEAR)


def fiscal_year_of(day: date) -> int:
    """Fiscal year Y runs 1 Sep Y-1 .. 31 Aug Y."""
    return day.year + 1 if day.month >= 9 else day.year


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    return date(fiscal_year - 1, 9, 1), date(fiscal_year, 8, 31)


def day_number(day: date) -> int:
    return (day - _EPOCH).days


def to_dates(days: np.ndarray, null: np.ndarray | None = None) -> np.ndarray:
    """Day numbers -> datetime64[ns] values (NaT where `null`)."""
    out = np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[ns]")
    if null is not None:
        out[null] = np.datetime64("NaT")
    return out


def to_day_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Date column -> (day numbers with 0 where null, null mask)."""
    null = values.isna().to_numpy()
    days = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype("int64")
    days[null] = 0
    return days, null
