"""DPS_not_in_IMPACT: DPS's entries that match no runaway event IMPACT knows of."""

from dps_assets.assets.report_registry import ReportKind, rows_by_region
from dps_assets.core.reconciliation.reports import dps_not_in_impact

REPORT = ReportKind(
    name="dps_not_in_impact_report",
    file_stem="DPS_not_in_IMPACT",
    sheet="DPS not in IMPACT",
    rows_are="DPS entries in the window that match no IMPACT runaway event, by region of the "
    "reporting agency's county.",
    inputs=("county_region_lookup", "runaway_event_matches"),
    frame=lambda quarter, county_region_lookup, runaway_event_matches: dps_not_in_impact(
        runaway_event_matches, county_region_lookup),
    position=2,
    metadata=rows_by_region,
    title="DPS missing-person entries not in IMPACT",
)
