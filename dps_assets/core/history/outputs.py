"""What analysts get from the history: a workbook (the statewide figures of the latest quarter
beside the four before it, with a chart; then a sheet per measure, fiscal year over fiscal year:
a row per fiscal year, a column per quarter, so the quarter before is the cell to the left and
the same quarter a year earlier the cell above) and a CSV for Power BI (one count per line,
counts only, so that totals over regions and quarters add up)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

import pandas as pd

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.history.figures import (
    BY_REGION,
    CHILDREN_SENT,
    DPS_NOT_IN_IMPACT,
    DPS_RUNAWAY_EVENTS,
    FISCAL_YEAR_TO_DATE,
    IMPACT_EVENTS,
    IMPACT_EVENTS_IN_DPS,
    IMPACT_NOT_IN_DPS,
    MEASURES,
    PERIODS,
    QUARTER,
    statewide,
)
from dps_assets.core.history.store import FROM_ARCHIVE, QuarterRecord
from dps_assets.core.impact.regions import STATEWIDE, region_sort_key, region_value
from dps_assets.core.workbooks.writer import About, BarChartSpec, Sheet, write_workbook

TITLE = "DFPS-DPS missing-person exchange: history across quarters"
CSV_COLUMNS = ("FISCAL_QUARTER", "FISCAL_YEAR", "QUARTER", "QUARTER_START", "QUARTER_END", "MEASURE", "PERIOD",
               "REGION", "VALUE")
QUARTER_COLUMNS = ("Q1", "Q2", "Q3", "Q4")
FYTD_TOTAL = "FYTD_TOTAL"
SHARE = "Share of IMPACT runaway events DPS has (%)"
# The sheet of each measure counted by region, and what its rows count.
REGION_SHEETS = {DPS_RUNAWAY_EVENTS: "DPS runaway events", IMPACT_NOT_IN_DPS: "IMPACT not in DPS",
                 DPS_NOT_IN_IMPACT: "DPS not in IMPACT"}
LABELS = {DPS_RUNAWAY_EVENTS: "DPS runaway events", IMPACT_NOT_IN_DPS: "IMPACT runaway events not in DPS",
          DPS_NOT_IN_IMPACT: "DPS entries not in IMPACT", IMPACT_EVENTS: "IMPACT runaway events",
          IMPACT_EVENTS_IN_DPS: "IMPACT runaway events DPS has", CHILDREN_SENT: "Children sent to DPS"}
SHARE_SHEET, CHILDREN_SHEET, STATEWIDE_SHEET = "DPS share of IMPACT events", "Children sent", "Statewide"
COMPARED_QUARTERS = 5  # the latest, the three before it, and the same quarter a year earlier
CHARTED_ROWS = 3  # the Statewide sheet's first rows, the three counts of runaway events and entries

Records = Mapping[FiscalQuarter, QuarterRecord]


def history_table(history: Records) -> pd.DataFrame:
    """Every figure of every quarter, one per row (CSV_COLUMNS), by quarter, measure, period, region."""
    rows = []
    order = {m: i for i, m in enumerate(MEASURES)} | {p: i for i, p in enumerate(PERIODS)}
    for quarter, record in sorted(history.items()):
        figures = sorted(record.figures, key=lambda f: (order[f.measure], order[f.period], region_sort_key(f.region)))
        rows += [(quarter.label, quarter.fiscal_year, quarter.quarter, quarter.start.isoformat(),
                  quarter.end.isoformat(), f.measure, f.period, f.region, f.value) for f in figures]
    return pd.DataFrame(rows, columns=list(CSV_COLUMNS))


def history_csv(history: Records) -> bytes:
    """The CSV for Power BI: RFC 4180 (CRLF, a header line), ASCII, counts only."""
    return history_table(history).to_csv(index=False, lineterminator="\r\n").encode("ascii")


def share_percent(record: QuarterRecord | None, period: str) -> float | None:
    """The share of the period's IMPACT runaway events that DPS has, in percent to one decimal."""
    if record is None:
        return None
    events = statewide(record.figures, IMPACT_EVENTS, period)
    reported = statewide(record.figures, IMPACT_EVENTS_IN_DPS, period)
    if not events or reported is None:
        return None
    return round(100 * reported / events, 1)


def _statewide_rows() -> list[tuple[str, Callable[[QuarterRecord | None], float | int | None]]]:
    def count(measure: str, period: str) -> Callable[[QuarterRecord | None], int | None]:
        return lambda record: statewide(record.figures, measure, period) if record else None
    return [*((LABELS[m], count(m, QUARTER)) for m in (*BY_REGION, IMPACT_EVENTS)),
            (SHARE, lambda record: share_percent(record, QUARTER)),
            (LABELS[CHILDREN_SENT], count(CHILDREN_SENT, FISCAL_YEAR_TO_DATE))]


def statewide_sheet(history: Records) -> Sheet:
    """The latest quarter's statewide figures beside the four quarters before it (the last one is
    the same quarter a year earlier), with the change from each; a chart of the three counts."""
    latest = max(history)
    compared = [latest]
    while len(compared) < COMPARED_QUARTERS:
        compared.insert(0, compared[0].previous())
    previous, year_earlier = latest.previous(), latest.a_year_earlier()
    rows = []
    for label, value in _statewide_rows():
        values = [value(history.get(q)) for q in compared]
        now = values[-1]
        changes = [None if now is None or then is None else round(now - then, 1)
                   for then in (value(history.get(previous)), value(history.get(year_earlier)))]
        rows.append([label, *values, *changes])
    columns = ["MEASURE", *(q.label for q in compared), "CHANGE_FROM_PREVIOUS_QUARTER", "CHANGE_FROM_A_YEAR_EARLIER"]
    frame = pd.DataFrame(rows, columns=columns, dtype="object")
    chart = BarChartSpec(title=f"Statewide, by quarter: {compared[0].label} to {latest.label}",
                         value_columns=[q.label for q in compared], category_rows=CHARTED_ROWS,
                         value_axis_title="Count in the quarter")
    return Sheet(STATEWIDE_SHEET, frame, chart=chart, totals_rows=0)


def _fiscal_years(history: Records) -> list[int]:
    return sorted({q.fiscal_year for q in history})


def _latest_of_year(history: Records, fiscal_year: int) -> QuarterRecord:
    return history[max(q for q in history if q.fiscal_year == fiscal_year)]


def _figure_of(record: QuarterRecord, measure: str, period: str, region: str) -> int:
    """A delivered quarter's figure; 0 for a region its reports did not list (it had none)."""
    return next((f.value for f in record.figures if (f.measure, f.period, f.region) == (measure, period, region)), 0)


def region_sheet(history: Records, measure: str) -> Sheet:
    """`measure` by region and fiscal year (rows), quarter (columns) and fiscal year to date as the
    year's latest delivered report counted it; the STATEWIDE rows set apart below."""
    regions = sorted({f.region for r in history.values() for f in r.figures if f.measure == measure} - {STATEWIDE},
                     key=region_sort_key)
    rows = []
    for region in [*regions, STATEWIDE]:
        for year in _fiscal_years(history):
            quarters = [history.get(FiscalQuarter(year, n)) for n in range(1, 5)]
            rows.append([region_value(region), f"FY{year}",
                         *(None if r is None else _figure_of(r, measure, QUARTER, region) for r in quarters),
                         _figure_of(_latest_of_year(history, year), measure, FISCAL_YEAR_TO_DATE, region)])
    frame = pd.DataFrame(rows, columns=["REGION", "FISCAL_YEAR", *QUARTER_COLUMNS, FYTD_TOTAL])
    frame = frame.astype({c: "Int64" for c in [*QUARTER_COLUMNS, FYTD_TOTAL]} | {"REGION": "object"})
    return Sheet(REGION_SHEETS[measure], frame, totals_rows=len(_fiscal_years(history)))


def share_sheet(history: Records) -> Sheet:
    """IMPACT's runaway events, those DPS has, and the share, by fiscal year and quarter."""
    rows: list[list[object]] = []
    for year in _fiscal_years(history):
        quarters = [history.get(FiscalQuarter(year, n)) for n in range(1, 5)]
        latest = _latest_of_year(history, year)
        for measure in (IMPACT_EVENTS, IMPACT_EVENTS_IN_DPS):
            rows.append([f"FY{year}", LABELS[measure],
                         *(statewide(r.figures, measure, QUARTER) if r else None for r in quarters),
                         statewide(latest.figures, measure, FISCAL_YEAR_TO_DATE)])
        rows.append([f"FY{year}", SHARE, *(share_percent(r, QUARTER) for r in quarters),
                     share_percent(latest, FISCAL_YEAR_TO_DATE)])
    columns = ["FISCAL_YEAR", "FIGURE", *QUARTER_COLUMNS, FYTD_TOTAL]
    return Sheet(SHARE_SHEET, pd.DataFrame(rows, columns=columns, dtype="object"), totals_rows=0)


def children_sheet(history: Records) -> Sheet:
    """Children sent to DPS in each quarter's exchange, by fiscal year and quarter."""
    rows = [[f"FY{year}", *(statewide(r.figures, CHILDREN_SENT, FISCAL_YEAR_TO_DATE) if r else None
                            for r in (history.get(FiscalQuarter(year, n)) for n in range(1, 5)))]
            for year in _fiscal_years(history)]
    frame = pd.DataFrame(rows, columns=["FISCAL_YEAR", *QUARTER_COLUMNS]).astype({c: "Int64" for c in QUARTER_COLUMNS})
    return Sheet(CHILDREN_SHEET, frame, totals_rows=0)


def history_sheets(history: Records) -> list[Sheet]:
    return [statewide_sheet(history), *(region_sheet(history, m) for m in BY_REGION), share_sheet(history),
            children_sheet(history)]


def history_about(history: Records, created_at: datetime, csv_name: str) -> About:
    """What the figures are and where each quarter's came from (counts and folders only)."""
    quarters = sorted(history)
    sources = [(f"{q.label} counted from", f"{r.source}" + (" (archived reports; delivered before the instance "
                "recorded deliveries)" if r.filled_from == FROM_ARCHIVE else f" (delivered {r.delivered_at})"))
               for q, r in sorted(history.items())]
    return About((
        ("Quarters", f"{quarters[0].label} to {quarters[-1].label}: {len(quarters)} delivered quarter(s)"),
        ("Latest quarter", quarters[-1].label),
        ("Q1 .. Q4 columns", "what the quarter's own report counted in that quarter: DPS's runaway events and "
                             "entries by MISSING_DATE, IMPACT's runaway events by RUNAWAY_DATE"),
        (FYTD_TOTAL, "fiscal year to date, as the fiscal year's latest delivered report counted it (it also "
                     "counts entries DPS made after an earlier quarter's report)"),
        (SHARE, "IMPACT runaway events a DPS entry was matched to, out of IMPACT's runaway events of the period"),
        (LABELS[CHILDREN_SENT], "children in the submission DPS answered: in conservatorship at any time in the "
                                "fiscal year to date"),
        ("Empty cell", "a quarter not delivered, or a figure its delivery did not record"),
        ("Power BI", f"{csv_name}: every figure of every quarter, one per line"),
        *sources,
        ("Created at (Central time)", created_at.replace(tzinfo=None, microsecond=0)),
    ))


def write_history_workbook(path: Path, history: Records, created_at: datetime, csv_name: str) -> None:
    """The history workbook at `path` (atomically, owner-only); `history` must hold a quarter."""
    if not history:
        raise ValueError("the history holds no quarter")
    write_workbook(path, history_sheets(history), history_about(history, created_at, csv_name), title=TITLE)
