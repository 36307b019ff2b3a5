"""The three reports' inputs and frames, and end_export.xlsx's frames, made by the project's own
functions from synthetic inputs of a chosen size (invented names; deterministic), for the workbook
and report tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.export.counties import with_report_counties
from dps_assets.core.export.wrangling import CodeMaps, wrangle_export
from dps_assets.core.impact.regions import build_region_lookup
from dps_assets.core.reconciliation.matching import MatchResult, match_entries
from dps_assets.core.reconciliation.reports import dps_not_in_impact, dps_total_runaway_events, impact_not_in_dps

QUARTER = FiscalQuarter(2026, 3)
COUNTIES = {"Travis": "7", "Bexar": "8", "Harris": "6", "El Paso": "10", "Hidalgo": "11",
            "Lubbock": "1", "Potter": "1", "Dallas": "3", "Tarrant": "3", "Smith": "4",
            "Jefferson": "5", "Tom Green": "9", "Brazos": "2", "Nueces": "11"}
LAST = ["GARCIA", "SMITH", "NGUYEN", "WASHINGTON", "DE LA CRUZ", "O'BRIEN", "JOHNSON-LEE"]
FIRST = ["MARIA", "JAMES", "ANH", "DESHAWN", "SOFIA", "LIAM", "ISABELLA"]
LIVING = ["Foster Home", "Kinship Placement", "General Residential Operation - Emergency Shelter"]


@dataclass(frozen=True)
class ReportFrames:
    impact_not_in_dps: pd.DataFrame
    dps_not_in_impact: pd.DataFrame
    totals: pd.DataFrame


def lookup() -> pd.DataFrame:
    return build_region_lookup(pd.DataFrame({"cnty_name": list(COUNTIES), "region": list(COUNTIES.values())}))


def _days(rng: np.random.Generator, first: date, last: date, count: int) -> pd.Series:
    offsets = rng.integers(0, (last - first).days + 1, count)
    return pd.to_datetime(pd.Series([first + timedelta(days=int(d)) for d in offsets]))


@dataclass(frozen=True)
class ReportInputs:
    """What the report assets are made from: sa_98's events, the matching, the region lookup."""

    sa_98: pd.DataFrame
    matches: MatchResult
    lookup: pd.DataFrame


def report_inputs(events: int, entries: int, seed: int = 11, quarter: FiscalQuarter = QUARTER) -> ReportInputs:
    """`events` sa_98 runaway events and `entries` DPS entries, a third of them matching events."""
    rng = np.random.default_rng(seed)
    counties = list(COUNTIES) + ["Out of State"]
    start, end = quarter.window_start, quarter.window_end
    sa_98 = pd.DataFrame({
        "PERSON_ID": np.arange(1, events + 1) * 7, "RUNAWAY_EVENT_ID": np.arange(1, events + 1) + 500_000,
        "FIRST_NAME": rng.choice(FIRST, events), "LAST_NAME": rng.choice(LAST, events),
        "DOB": _days(rng, date(2008, 1, 1), date(2013, 12, 31), events),
        "SEX": rng.choice(["M", "F"], events), "RACE": rng.choice(["W", "B", "A"], events),
        "CNTY_NAME": rng.choice(counties, events),
        "RUNAWAY_DATE": _days(rng, start, end - timedelta(days=10), events), "RETURN_DATE": pd.NaT,
        "LIVING_ARRANGEMENT": rng.choice(LIVING, events),
    })
    matched = sa_98.head(entries // 3)
    others = entries - len(matched)
    results = pd.DataFrame({
        "DFPS_PERSON_ID": np.concatenate([matched["PERSON_ID"], np.arange(1, others + 1) * 7 + 3]),
        "NIC": [f"M{n:09d}" for n in range(1, entries + 1)],
        "LAST_NAME": rng.choice(LAST, entries), "FIRST_NAME": rng.choice(FIRST, entries),
        "DOB": _days(rng, date(2008, 1, 1), date(2013, 12, 31), entries),
        "SEX": "M", "RACE": "W", "MKE": "EMJ", "ORI": "TX2270000",
        "AGENCY_COUNTY": rng.choice(counties, entries),
        "MISSING_DATE": pd.concat([matched["RUNAWAY_DATE"] + pd.Timedelta(days=1),
                                   _days(rng, start, end, others)], ignore_index=True),
        "CLEAR_DATE": pd.NaT,
    })
    results["ENTRY_DATE"] = results["MISSING_DATE"]
    return ReportInputs(sa_98, match_entries(results, sa_98, start, end, 7), lookup())


def report_frames(events: int, entries: int, seed: int = 11, quarter: FiscalQuarter = QUARTER) -> ReportFrames:
    """The three reports' frames made from `report_inputs(events, entries, seed, quarter)`."""
    made = report_inputs(events, entries, seed, quarter)
    return ReportFrames(impact_not_in_dps(made.sa_98, made.matches, made.lookup, quarter),
                        dps_not_in_impact(made.matches, made.lookup),
                        dps_total_runaway_events(made.matches, made.lookup, quarter))


def export_frames(children: int, seed: int = 12, report_counties: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """end_export.xlsx's Export and Rejected frames from `children` query rows (some rejected),
    as dps_export makes them: the counties, which the query spells as a warehouse does (`Travis`,
    `Travis County`, `TRAVIS COUNTY `), spelled as the reports spell them unless not `report_counties`."""
    rng = np.random.default_rng(seed)
    last = rng.choice(LAST + ["", "  "], children)
    spellings = [spelling for county in COUNTIES
                 for spelling in (county, f"{county} County", f"{county.upper()} COUNTY ")]
    rows = pd.DataFrame({
        "PERSON_ID": np.arange(1, children + 1) * 13, "FIRST_NAME": rng.choice(FIRST, children),
        "MIDDLE_NAME": rng.choice(["ANN", "LEE", None], children), "LAST_NAME": last,
        "DOB": _days(rng, date(2006, 1, 1), date(2013, 12, 31), children),
        "SEX": rng.choice(["M", "F", "female"], children), "RACE": rng.choice(["WT", "AA", "HP"], children),
        "CNTY_NAME": rng.choice(spellings, children),
        "CVS_START": _days(rng, date(2018, 1, 1), date(2025, 12, 31), children), "CVS_END": pd.NaT,
    })
    split = wrangle_export(rows, QUARTER.window_end, CodeMaps({"M": "M", "F": "F", "FEMALE": "F"},
                                                              {"WT": "W", "AA": "B", "HP": "A"}))
    if report_counties:
        split = with_report_counties(split, lookup())
    return split.sent, split.rejected
