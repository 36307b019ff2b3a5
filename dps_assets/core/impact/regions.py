"""County -> region lookup (spec §5), the regions and county spellings the reports show
(spec §7), and the natural order of regions (1, 2, …, 10, 11, then UNKNOWN).

In the lookup frame REGION is text, as the query gives it; in a report it is written as a number
where it is one (`region_value`). Every per-county step is taken once per distinct county name
(`per_distinct`): a million rows name about twenty counties."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dps_assets.core.impact.names import county_key

UNKNOWN_REGION = "UNKNOWN"
STATEWIDE = "STATEWIDE"
_DIGITS = re.compile(r"([0-9]+)")  # ASCII digits: `\d` takes others int() may refuse
# A region is written as a number when it has no more digits than Excel shows exactly (and
# int() never sees the 4,301 digits it refuses); a longer one stays text.
_INT_DIGITS = 15
_WHITESPACE = re.compile(r"\s+")


def build_region_lookup(rows: pd.DataFrame) -> pd.DataFrame:
    """Normalise the lookup query's rows: one row per county key with CNTY_NAME, REGION, COUNTY_KEY.

    A county listed twice with different regions is ambiguous and refused."""
    frame = rows.rename(columns=lambda c: str(c).strip().upper())
    missing = [c for c in ("CNTY_NAME", "REGION") if c not in frame.columns]
    if missing:
        raise ValueError(f"county-region query: the result lacks column(s) {', '.join(missing)}")
    lookup = pd.DataFrame({
        "CNTY_NAME": frame["CNTY_NAME"].astype("object"),
        "REGION": frame["REGION"].map(lambda v: None if pd.isna(v) else str(v).strip() or None),
        "COUNTY_KEY": frame["CNTY_NAME"].map(county_key),
    }).dropna(subset=["COUNTY_KEY", "REGION"])
    regions_per_county = lookup.groupby("COUNTY_KEY")["REGION"].nunique()
    conflicting = sorted(regions_per_county[regions_per_county > 1].index)
    if conflicting:
        raise ValueError(f"county-region query: counties with two regions: {', '.join(conflicting)}")
    lookup = lookup.drop_duplicates("COUNTY_KEY", keep="first")
    return lookup.sort_values(["REGION", "COUNTY_KEY"], key=_sort_key).reset_index(drop=True)


def per_distinct(series: pd.Series, function: Callable[[Any], object]) -> pd.Series:
    """`function` applied once per distinct value of `series` (once for all its missing values,
    called with None) and spread back over the rows: an object series on the same index."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    results = np.empty(len(uniques) + 1, dtype=object)
    for i, value in enumerate(uniques):  # one by one: a tuple result stays one element
        results[i] = function(value)
    if (codes < 0).any():  # the missing values' code, -1, picks the last element
        results[-1] = function(None)
    return pd.Series(results[codes], index=series.index, dtype="object")


def region_value(region: object) -> int | str:
    """A region as a report shows it: a whole number where it is one (`"7"` -> 7), text otherwise
    (`UNKNOWN`, `STATEWIDE`, `6a`)."""
    if isinstance(region, (int, np.integer)) and not isinstance(region, bool):
        return int(region)
    text = "" if region is None else str(region).strip()
    digits = text.lstrip("0")
    return int(digits or "0") if text.isascii() and text.isdigit() and len(digits) <= _INT_DIGITS else text


def tidy_county(value: object) -> str | None:
    """A county name as the source gave it, trimmed, runs of white space made one space; None when
    nothing is left."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return _WHITESPACE.sub(" ", str(value)).strip() or None


@dataclass(frozen=True)
class CountyRegions:
    """Per report row: the county as the report shows it and its region."""

    counties: pd.Series  # the lookup's spelling, else the source's value tidied
    regions: pd.Series  # region_value of the lookup's region, else UNKNOWN


def county_regions(counties: pd.Series, lookup: pd.DataFrame) -> CountyRegions:
    """Each county's spelling in the lookup (the source's value, tidied, where the lookup lacks it)
    and region (`UNKNOWN` where the lookup has none), computed once per distinct name."""
    by_key = {key: (tidy_county(name), region_value(region))
              for key, name, region in zip(lookup["COUNTY_KEY"], lookup["CNTY_NAME"], lookup["REGION"], strict=True)}

    def one(name: object) -> tuple[str | None, object]:
        return by_key.get(county_key(name), (tidy_county(name), UNKNOWN_REGION))

    codes, uniques = pd.factorize(counties, use_na_sentinel=True)
    spellings, regions = np.empty(len(uniques) + 1, dtype=object), np.empty(len(uniques) + 1, dtype=object)
    for i, name in enumerate([*uniques, None]):  # a missing name's code, -1, picks the last
        spellings[i], regions[i] = one(name)
    return CountyRegions(counties=pd.Series(spellings[codes], index=counties.index, dtype="object"),
                         regions=pd.Series(regions[codes], index=counties.index, dtype="object"))


def regions_of(counties: pd.Series, lookup: pd.DataFrame) -> pd.Series:
    """Each county's region as a report shows it, `UNKNOWN` where the lookup has none."""
    return county_regions(counties, lookup).regions


def unmapped_counties(counties: pd.Series, lookup: pd.DataFrame) -> list[str]:
    """Distinct county names (as written) that have no region."""
    known = set(lookup["COUNTY_KEY"])
    names = {str(n) if not pd.isna(n) else "(blank)" for n in pd.unique(counties.astype("object"))
             if county_key(n) not in known}
    return sorted(names)


def region_order(regions: pd.Series) -> pd.Series:
    """Each row's place in the natural order of its region (an integer series to sort by),
    computed once per distinct region."""
    distinct = pd.unique(regions.astype("object"))
    rank = {_hashable(r): i for i, r in enumerate(sorted(distinct, key=region_sort_key))}
    return per_distinct(regions, lambda r: rank[_hashable(r)]).astype("int64")


def _hashable(region: object) -> object:
    return None if region is None or (isinstance(region, float) and region != region) else region


def region_sort_key(region: object) -> tuple[object, ...]:
    """Natural order: numbered regions by number, then other names, then UNKNOWN, then STATEWIDE."""
    text = "" if region is None else str(region)
    if text == STATEWIDE:
        return (3,)
    if text == UNKNOWN_REGION:
        return (2,)
    # A run of digits by its value, compared without int(): fewer significant digits first, then
    # the digits themselves.
    parts = tuple((False, len(p.lstrip("0")), p.lstrip("0")) if _DIGITS.fullmatch(p) else (True, p)
                  for p in _DIGITS.split(text) if p != "")
    return (0 if parts and not parts[0][0] else 1, parts)


def _sort_key(series: pd.Series) -> pd.Series:
    if series.name == "REGION":
        return series.map(region_sort_key)
    return series


def sort_regions(regions: Iterable[object]) -> list[int | str]:
    """The distinct regions as reports show them (`region_value`), in natural order."""
    return sorted({region_value(r) for r in regions}, key=region_sort_key)
