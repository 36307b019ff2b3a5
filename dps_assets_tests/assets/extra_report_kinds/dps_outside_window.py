"""A throw-away fourth report, written as a new report would be: this one module."""

from dps_assets.assets.report_registry import ReportKind

REPORT = ReportKind(
    name="dps_outside_window_report",
    file_stem="DPS_outside_window",
    sheet="Outside the window",
    rows_are="DPS entries whose missing date is outside the quarter's window (counted, not matched).",
    inputs=("runaway_event_matches",),
    frame=lambda quarter, runaway_event_matches: runaway_event_matches.entries_outside_window.loc[
        :, ["DFPS_PERSON_ID", "NIC", "MISSING_DATE"]].reset_index(drop=True),
    position=4,
)
