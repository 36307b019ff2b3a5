"""County -> region lookup (spec §5) and the natural order of regions (1, 2, …, 10, 11)."""

from __future__ import annotations

import re

import pandas as pd

from dps_assets.core.names import county_key

UNKNOWN_REGION = "UNKNOWN"
STATEWIDE = "STATEWIDE"
_DIGITS = re.compile(r"(\d+)")


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
    conflicting = lookup.groupby("COUNTY_KEY")["REGION"].nunique()
    conflicting = sorted(conflicting[conflicting > 1].index)
    if conflicting:
        raise ValueError(f"county-region query: counties with two regions: {', '.join(conflicting)}")
    lookup = lookup.drop_duplicates("COUNTY_KEY", keep="first")
    return lookup.sort_values(["REGION", "COUNTY_KEY"], key=_sort_key).reset_index(drop=True)


def regions_of(counties: pd.Series, lookup: pd.DataFrame) -> pd.Series:
    """Each county's region, `UNKNOWN` where the lookup has none."""
    by_key = dict(zip(lookup["COUNTY_KEY"], lookup["REGION"]))
    return counties.map(lambda name: by_key.get(county_key(name), UNKNOWN_REGION)).astype("object")


def unmapped_counties(counties: pd.Series, lookup: pd.DataFrame) -> list[str]:
    """Distinct county names (as written) that have no region."""
    known = set(lookup["COUNTY_KEY"])
    names = {str(n) if not pd.isna(n) else "(blank)" for n in counties if county_key(n) not in known}
    return sorted(names)


def region_sort_key(region: object) -> tuple:
    """Natural order: numbered regions by number, then other names, then UNKNOWN, then STATEWIDE."""
    text = "" if region is None else str(region)
    if text == STATEWIDE:
        return (3,)
    if text == UNKNOWN_REGION:
        return (2,)
    parts = tuple(int(p) if p.isdigit() else p for p in _DIGITS.split(text) if p != "")
    return (0 if parts and isinstance(parts[0], int) else 1, tuple((isinstance(p, str), p) for p in parts))


def _sort_key(series: pd.Series) -> pd.Series:
    if series.name == "REGION":
        return series.map(region_sort_key)
    return series


def sort_regions(regions) -> list[str]:
    return sorted(set(regions), key=region_sort_key)
