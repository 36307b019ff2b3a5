"""DPS_total_runaway_events: DPS's runaway events per region and quarter, with a bar chart."""

import pandas as pd

from dps_assets.assets.report_registry import ReportKind
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.impact.regions import UNKNOWN_REGION
from dps_assets.core.reconciliation.reports import FYTD_TOTAL, dps_total_runaway_events
from dps_assets.core.workbooks.writer import BarChartSpec


def _chart(totals: pd.DataFrame, quarter: FiscalQuarter) -> BarChartSpec:
    # Every region, not the STATEWIDE row: the sheet sets the rows below the chart's apart. The
    # quarters side by side; FYTD_TOTAL, which adds them up, is in the table.
    return BarChartSpec(title=f"DPS runaway events by region, {quarter.label} fiscal year to date",
                        value_columns=[q.label for q in quarter.quarters_to_date()],
                        category_rows=len(totals) - 1, value_axis_title="Runaway events")


def _about_rows(totals: pd.DataFrame) -> dict[str, int]:
    regions = totals["REGION"].iloc[:-1]  # the STATEWIDE row last
    return {
        # The agency's regions; UNKNOWN (counties with no region) is not one, and is counted apart.
        "Regions": int((regions != UNKNOWN_REGION).sum()),
        "Statewide runaway events (FYTD)": int(totals.iloc[-1][FYTD_TOTAL]),
        "Events in region UNKNOWN": int(totals.loc[totals["REGION"] == UNKNOWN_REGION, FYTD_TOTAL].sum()),
    }


REPORT = ReportKind(
    name="dps_total_runaway_events_report",
    file_stem="DPS_total_runaway_events",
    sheet="Totals",
    rows_are="DPS runaway events (distinct child and missing date) per region and quarter, "
    "fiscal year to date, with a bar chart by region.",
    inputs=("county_region_lookup", "runaway_event_matches"),
    frame=lambda quarter, county_region_lookup, runaway_event_matches: dps_total_runaway_events(
        runaway_event_matches, county_region_lookup, quarter),
    position=3,
    about_rows=_about_rows,
    metadata=lambda totals: {"statewide_fytd": int(totals.iloc[-1][FYTD_TOTAL])},
    chart=_chart,
    title="DPS runaway events by region and quarter",
)
