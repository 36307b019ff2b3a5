"""The quarterly reports (spec §7), as frames, and what a written report hands on. Writing them
to Excel is workbooks.py's job; which reports there are is the registry's (assets/report_kinds)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dps_assets.core.matching import MatchResult
from dps_assets.core.regions import (STATEWIDE, UNKNOWN_REGION, county_regions, per_distinct, region_order,
                                     sort_regions)
from dps_assets.core.quarters import FiscalQuarter

IMPACT_NOT_IN_DPS_COLUMNS = (
    "FISCAL_QUARTER", "REGION", "CNTY_NAME", "PERSON_ID", "RUNAWAY_EVENT_ID", "LAST_NAME",
    "FIRST_NAME", "DOB", "SEX", "RACE", "RUNAWAY_DATE", "RETURN_DATE", "LIVING_ARRANGEMENT",
)
DPS_NOT_IN_IMPACT_COLUMNS = (
    "FISCAL_QUARTER", "REGION", "AGENCY_COUNTY", "DFPS_PERSON_ID", "NIC", "LAST_NAME",
    "FIRST_NAME", "DOB", "MKE", "ORI", "ENTRY_DATE", "MISSING_DATE", "CLEAR_DATE",
)
FYTD_TOTAL = "FYTD_TOTAL"


@dataclass(frozen=True)
class ReportWorkbook:
    """A report as written for a quarter: its workbook, the rows of its data sheet, and what its
    numbers are in words (`report_summary`: counts only, what the email says of it)."""

    path: Path
    rows: int
    summary: str = ""


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def is_region_totals(frame: pd.DataFrame) -> bool:
    """A table of counts by region ending in its STATEWIDE row (`dps_total_runaway_events`)."""
    return (FYTD_TOTAL in frame.columns and "REGION" in frame.columns and len(frame) > 0
            and frame["REGION"].iloc[-1] == STATEWIDE)


def report_summary(frame: pd.DataFrame, rows_are: str) -> str:
    """What a report's numbers are, in words, counts only. A list of rows: what its rows are
    (`rows_are`) and how many; the totals by region: how many regions and events, fiscal year to
    date."""
    if is_region_totals(frame):
        regions = _plural(len(frame) - 1, "region", "regions")
        events = _plural(int(frame[FYTD_TOTAL].iloc[-1]), "event", "events")
        return f"DPS runaway events by region and quarter: {regions}, {events} fiscal year to date"
    return f"{rows_are.strip().rstrip('.')}: {len(frame):,}"


def matching_summary(match: MatchResult) -> dict[str, int]:
    """The matching's numbers: how many entries it saw, used, assigned, and events it found."""
    return {
        "entries_in_window": len(match.entries_in_window),
        "entries_outside_window": len(match.entries_outside_window),
        "entries_assigned": len(match.assignments),
        "entries_unassigned": len(match.unassigned_entries),
        "events_reported_to_dps": len(match.reported_event_ids),
    }


def _quarter_labels(dates: pd.Series) -> pd.Series:
    """FISCAL_QUARTER of each row: worked out once per distinct date."""
    return per_distinct(dates, lambda d: None if d is None or pd.isna(d) else FiscalQuarter.containing(d.date()).label)


def _sort(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame.sort_values(
        columns, key=lambda s: region_order(s) if s.name == "REGION" else s, kind="stable"
    ).reset_index(drop=True)


def _place(frame: pd.DataFrame, county_column: str, lookup: pd.DataFrame) -> None:
    """REGION from `county_column`, and that column in the lookup's spelling (spec §7)."""
    placed = county_regions(frame[county_column], lookup)
    frame["REGION"] = placed.regions
    frame[county_column] = placed.counties


def impact_not_in_dps(events: pd.DataFrame, match: MatchResult, lookup: pd.DataFrame,
                      quarter: FiscalQuarter) -> pd.DataFrame:
    """sa_98 events that ran away in the window and that no DPS entry was assigned to."""
    in_window = events["RUNAWAY_DATE"].between(
        pd.Timestamp(quarter.window_start), pd.Timestamp(quarter.window_end))
    # isin on the assignments' column hashes it in bulk (a Python set is looked up row by row).
    missing = events[in_window & ~events["RUNAWAY_EVENT_ID"].isin(match.assignments["RUNAWAY_EVENT_ID"])].copy()
    missing["FISCAL_QUARTER"] = _quarter_labels(missing["RUNAWAY_DATE"])
    _place(missing, "CNTY_NAME", lookup)
    report = missing.loc[:, list(IMPACT_NOT_IN_DPS_COLUMNS)]
    return _sort(report, ["REGION", "RUNAWAY_DATE", "PERSON_ID", "RUNAWAY_EVENT_ID"])


def dps_not_in_impact(match: MatchResult, lookup: pd.DataFrame) -> pd.DataFrame:
    """In-window DPS entries that were assigned to no IMPACT event."""
    unassigned = match.unassigned_entries.copy()
    unassigned["FISCAL_QUARTER"] = _quarter_labels(unassigned["MISSING_DATE"])
    _place(unassigned, "AGENCY_COUNTY", lookup)
    report = unassigned.loc[:, list(DPS_NOT_IN_IMPACT_COLUMNS)]
    return _sort(report, ["REGION", "MISSING_DATE", "NIC"])


def dps_runaway_events(match: MatchResult, lookup: pd.DataFrame) -> pd.DataFrame:
    """DPS runaway events: distinct (DFPS_PERSON_ID, MISSING_DATE) among in-window entries, each
    placed in the region of the agency county of its entry with the smallest NIC."""
    entries = match.entries_in_window
    if not entries["NIC"].is_monotonic_increasing:  # DPS's file comes in NIC order: no sort then
        entries = entries.sort_values("NIC", kind="stable")
    events = entries.drop_duplicates(["DFPS_PERSON_ID", "MISSING_DATE"], keep="first").copy()
    events["REGION"] = county_regions(events["AGENCY_COUNTY"], lookup).regions
    events["FISCAL_QUARTER"] = _quarter_labels(events["MISSING_DATE"])
    return events.loc[:, ["DFPS_PERSON_ID", "MISSING_DATE", "NIC", "REGION", "FISCAL_QUARTER"]]


def dps_total_runaway_events(match: MatchResult, lookup: pd.DataFrame,
                             quarter: FiscalQuarter) -> pd.DataFrame:
    """One row per region of the lookup (then UNKNOWN if it has events), then STATEWIDE; one
    column per quarter Q1..Qn and FYTD_TOTAL; zero where there are no events."""
    events = dps_runaway_events(match, lookup)
    labels = [q.label for q in quarter.quarters_to_date()]
    regions = sort_regions(lookup["REGION"])
    if (events["REGION"] == UNKNOWN_REGION).any():
        regions.append(UNKNOWN_REGION)
    counts = pd.crosstab(events["REGION"], events["FISCAL_QUARTER"]) if len(events) else pd.DataFrame()
    table = counts.reindex(index=regions, columns=labels, fill_value=0).fillna(0).astype("int64")
    table.loc[STATEWIDE] = table.sum(axis=0)
    table[FYTD_TOTAL] = table[labels].sum(axis=1)
    table.index.name = "REGION"
    return table.reset_index()
