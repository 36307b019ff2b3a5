"""A delivered quarter's figures, from its reports: how many DPS runaway events, IMPACT runaway
events not in DPS and DPS entries not in IMPACT each region and the state had, in the quarter
itself and fiscal year to date; IMPACT's runaway events (so the share of them DPS has); and how
many children were sent. Counts only: a report's rows are counted, never kept."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.impact.regions import STATEWIDE, region_sort_key

# What is counted (the CSV's MEASURE), in the order analysts read them.
DPS_RUNAWAY_EVENTS = "DPS_RUNAWAY_EVENTS"
IMPACT_NOT_IN_DPS = "IMPACT_EVENTS_NOT_IN_DPS"
DPS_NOT_IN_IMPACT = "DPS_ENTRIES_NOT_IN_IMPACT"
IMPACT_EVENTS = "IMPACT_RUNAWAY_EVENTS"
IMPACT_EVENTS_IN_DPS = "IMPACT_EVENTS_REPORTED_TO_DPS"
CHILDREN_SENT = "CHILDREN_SENT"
MEASURES = (DPS_RUNAWAY_EVENTS, IMPACT_NOT_IN_DPS, DPS_NOT_IN_IMPACT, IMPACT_EVENTS, IMPACT_EVENTS_IN_DPS,
            CHILDREN_SENT)
# The measures counted by region (the others are statewide only).
BY_REGION = (DPS_RUNAWAY_EVENTS, IMPACT_NOT_IN_DPS, DPS_NOT_IN_IMPACT)

# Over what time a figure counts: the quarter itself, or the report's window (fiscal year to date).
QUARTER = "QUARTER"
FISCAL_YEAR_TO_DATE = "FISCAL_YEAR_TO_DATE"
PERIODS = (QUARTER, FISCAL_YEAR_TO_DATE)


class Figure(NamedTuple):
    """One count of a quarter: `measure` in `region` (or STATEWIDE) over `period`."""

    measure: str
    period: str
    region: str
    value: int


@dataclass(frozen=True)
class ImpactEvents:
    """IMPACT's runaway events of the quarter's window and of the quarter itself, as the
    matching saw them (sa_98's usable rows); None where the ledger did not record it."""

    in_window: int | None
    in_quarter: int | None


@dataclass(frozen=True)
class QuarterReports:
    """What a quarter's figures are counted from: its three reports' data sheets (the totals by
    region and quarter; the two lists, of which only REGION and FISCAL_QUARTER are read), IMPACT's
    events, and the children in the submission DPS answered."""

    quarter: FiscalQuarter
    totals: pd.DataFrame
    impact_not_in_dps: pd.DataFrame
    dps_not_in_impact: pd.DataFrame
    impact_events: ImpactEvents | None = None
    children_sent: int | None = None


class FiguresError(ValueError):
    """A report does not have the shape its figures are read from; says which and what is wrong."""


def region_text(value: object) -> str:
    """A region as the history keeps it: `7` (however a workbook gave it: 7, 7.0, "7"), `UNKNOWN`."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def quarter_figures(reports: QuarterReports) -> list[Figure]:
    """Every figure of the quarter: the three measures by region (every region of the totals
    report, zero where a list has no row) and STATEWIDE, for the quarter and fiscal year to date;
    IMPACT's runaway events and those DPS has, statewide, where known; the children sent."""
    quarter = reports.quarter
    totals = _region_totals(reports.totals, quarter)
    regions = set(totals.index)
    counted = {
        DPS_RUNAWAY_EVENTS: totals,
        IMPACT_NOT_IN_DPS: _rows_by_region(reports.impact_not_in_dps, quarter, "IMPACT not in DPS"),
        DPS_NOT_IN_IMPACT: _rows_by_region(reports.dps_not_in_impact, quarter, "DPS not in IMPACT"),
    }
    for table in counted.values():
        regions |= set(table.index)
    ordered = sorted(regions, key=region_sort_key)
    figures = []
    for measure, table in counted.items():
        table = table.reindex(ordered, fill_value=0)
        for period in PERIODS:
            figures += [Figure(measure, period, region, int(table[period][region])) for region in ordered]
            figures.append(Figure(measure, period, STATEWIDE, int(table[period].sum())))
    events = reports.impact_events
    if events is not None:
        not_in_dps = counted[IMPACT_NOT_IN_DPS].sum()
        for period, count in ((QUARTER, events.in_quarter), (FISCAL_YEAR_TO_DATE, events.in_window)):
            # Fewer events than the report lists as not in DPS: the count is not these reports'.
            if count is not None and count >= not_in_dps[period]:
                figures.append(Figure(IMPACT_EVENTS, period, STATEWIDE, count))
                figures.append(Figure(IMPACT_EVENTS_IN_DPS, period, STATEWIDE, count - int(not_in_dps[period])))
    if reports.children_sent is not None:
        figures.append(Figure(CHILDREN_SENT, FISCAL_YEAR_TO_DATE, STATEWIDE, reports.children_sent))
    return figures


def _region_totals(totals: pd.DataFrame, quarter: FiscalQuarter) -> pd.DataFrame:
    """DPS runaway events per region (index) for the quarter and fiscal year to date (columns):
    the quarter's own column, and the sum of the fiscal year's quarter columns (what FYTD_TOTAL
    holds), from the regions' rows (not STATEWIDE, which is their sum)."""
    labels = [q.label for q in quarter.quarters_to_date()]
    missing = [c for c in ["REGION", *labels] if c not in totals.columns]
    if missing:
        raise FiguresError(f"the totals by region have no column(s) {', '.join(missing)}")
    regions = totals["REGION"].map(region_text)
    rows = totals[(regions != STATEWIDE) & (regions != "")]
    counts = rows[labels].apply(pd.to_numeric, errors="coerce")
    if counts.isna().any().any():
        raise FiguresError(f"the totals by region have a cell that is not a count in column(s) "
                           f"{', '.join(str(c) for c in counts.columns[counts.isna().any()])}")
    table = pd.DataFrame({QUARTER: counts[quarter.label].to_numpy(),
                          FISCAL_YEAR_TO_DATE: counts.sum(axis=1).to_numpy()},
                         index=pd.Index(regions[rows.index], name="REGION"))
    return table.groupby(level=0).sum().astype("int64")


def _rows_by_region(rows: pd.DataFrame, quarter: FiscalQuarter, report: str) -> pd.DataFrame:
    """A list report's rows per REGION: those of the quarter (FISCAL_QUARTER) and all of them."""
    missing = [c for c in ("REGION", "FISCAL_QUARTER") if c not in rows.columns]
    if missing:
        raise FiguresError(f"the report {report} has no column(s) {', '.join(missing)}")
    regions = rows["REGION"].map(region_text)
    in_quarter = rows["FISCAL_QUARTER"].astype("object").map(lambda v: str(v).strip()) == quarter.label
    table = pd.DataFrame({QUARTER: in_quarter.astype("int64").to_numpy(),
                          FISCAL_YEAR_TO_DATE: 1}, index=pd.Index(regions.to_numpy(), name="REGION"))
    return table.groupby(level=0).sum().astype("int64")


def statewide(figures: Iterable[Figure], measure: str, period: str) -> int | None:
    """The STATEWIDE figure of `measure` over `period`, None if there is none."""
    return next((f.value for f in figures if (f.measure, f.period, f.region) == (measure, period, STATEWIDE)), None)
