"""IMPACT_not_in_DPS: the runaway events DPS has no entry for."""

from dps_assets.assets.report_registry import ReportKind, rows_by_region
from dps_assets.core.reconciliation.reports import impact_not_in_dps

REPORT = ReportKind(
    name="impact_not_in_dps_report",
    file_stem="IMPACT_not_in_DPS",
    sheet="IMPACT not in DPS",
    rows_are="IMPACT runaway events in the window that no DPS entry was matched to, by region.",
    inputs=("sa_98", "county_region_lookup", "runaway_event_matches"),
    frame=lambda quarter, sa_98, county_region_lookup, runaway_event_matches: impact_not_in_dps(
        sa_98, runaway_event_matches, county_region_lookup, quarter),
    position=1,
    metadata=rows_by_region,
    title="IMPACT runaway events not in DPS",
)
