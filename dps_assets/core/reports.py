"""The quarterly reports (spec §7), as frames, and what a written report hands on. Writing them
to Excel is workbooks.py's job; which reports there are is the registry's (assets/report_kinds)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
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


def _sort_codes(column: pd.Series) -> np.ndarray:
    """Integers that order as the column's values do, missing last."""
    last = np.iinfo("int64").max
    if column.name == "REGION":
        return region_order(column).to_numpy()
    if pd.api.types.is_datetime64_any_dtype(column):
        return np.where(column.isna().to_numpy(), last, column.to_numpy().view("int64"))
    if pd.api.types.is_integer_dtype(column):
        return column.to_numpy(dtype="int64", na_value=last)
    codes, _ = pd.factorize(column, sort=True)  # -1 for a missing value
    return np.where(codes < 0, last, codes)


def _first_per(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Where each distinct combination of `columns` first occurs (drop_duplicates keep="first"),
    by one integer key per row built from each column's codes."""
    key = np.zeros(len(frame), dtype="int64")
    for column in columns:
        codes, distinct = pd.factorize(frame[column], use_na_sentinel=False)
        key = key * max(len(distinct), 1) + codes
    return ~pd.Series(key).duplicated().to_numpy()


def _counts(rows: pd.Series, columns: pd.Series) -> pd.DataFrame:
    """How many rows have each (row value, column value) pair (pd.crosstab, by codes and one
    bincount)."""
    row_codes, row_values = pd.factorize(rows, use_na_sentinel=False)
    column_codes, column_values = pd.factorize(columns, use_na_sentinel=False)
    counts = np.bincount(row_codes * len(column_values) + column_codes,
                         minlength=len(row_values) * len(column_values))
    return pd.DataFrame(counts.reshape(len(row_values), len(column_values)),
                        index=pd.Index(row_values, dtype="object", name=rows.name),
                        columns=pd.Index(column_values, dtype="object", name=columns.name))


def impact_not_in_dps(events: pd.DataFrame, match: MatchResult, lookup: pd.DataFrame,
                      quarter: FiscalQuarter) -> pd.DataFrame:
    """sa_98 events that ran away in the window and that no DPS entry was assigned to."""
    in_window = events["RUNAWAY_DATE"].between(
        pd.Timestamp(quarter.window_start), pd.Timestamp(quarter.window_end))
    # isin on the assignments' column hashes it in bulk (a Python set is looked up row by row).
    missing = in_window & ~events["RUNAWAY_EVENT_ID"].isin(match.assignments["RUNAWAY_EVENT_ID"])
    return _report(events, np.flatnonzero(missing.to_numpy()), "RUNAWAY_DATE", "CNTY_NAME", lookup,
                   IMPACT_NOT_IN_DPS_COLUMNS, ["REGION", "RUNAWAY_DATE", "PERSON_ID", "RUNAWAY_EVENT_ID"])


def dps_not_in_impact(match: MatchResult, lookup: pd.DataFrame) -> pd.DataFrame:
    """In-window DPS entries that were assigned to no IMPACT event."""
    entries = match.entries_in_window
    assigned = match.assigned_in_window
    if assigned is None:
        assigned = entries["NIC"].isin(match.assignments["NIC"]).to_numpy()
    return _report(entries, np.flatnonzero(~assigned), "MISSING_DATE", "AGENCY_COUNTY", lookup,
                   DPS_NOT_IN_IMPACT_COLUMNS, ["REGION", "MISSING_DATE", "NIC"])


def _report(source: pd.DataFrame, rows: np.ndarray, date_column: str, county_column: str,
            lookup: pd.DataFrame, columns: tuple[str, ...], sort_by: list[str]) -> pd.DataFrame:
    """The report of `source`'s rows at positions `rows`: FISCAL_QUARTER of `date_column`, REGION
    and the lookup's spelling of `county_column`, the columns in order, sorted by `sort_by`.
    Each column is gathered once, already in the report's order (at a million rows, copying
    the frame at every step cost more than the work)."""
    picked = {name: source[name].iloc[rows].reset_index(drop=True)
              for name in (date_column, county_column)}
    placed = county_regions(picked[county_column], lookup)
    computed = {"FISCAL_QUARTER": _quarter_labels(picked[date_column]), "REGION": placed.regions,
                county_column: placed.counties}
    keys = {name: computed[name] if name in computed else source[name].iloc[rows].reset_index(drop=True)
            for name in sort_by}
    order = np.lexsort([_sort_codes(keys[name]) for name in reversed(sort_by)]) if len(rows) else rows
    positions = rows[order]
    return pd.DataFrame({
        name: (computed[name].take(order) if name in computed else source[name].take(positions)).reset_index(drop=True)
        for name in columns})


def dps_runaway_events(match: MatchResult, lookup: pd.DataFrame) -> pd.DataFrame:
    """DPS runaway events: distinct (DFPS_PERSON_ID, MISSING_DATE) among in-window entries, each
    placed in the region of the agency county of its entry with the smallest NIC."""
    entries = match.entries_in_window
    if not entries["NIC"].is_monotonic_increasing:  # DPS's file comes in NIC order: no sort then
        entries = entries.sort_values("NIC", kind="stable")
    first = _first_per(entries, ["DFPS_PERSON_ID", "MISSING_DATE"])
    events = pd.DataFrame({name: entries[name][first].reset_index(drop=True)
                           for name in ("DFPS_PERSON_ID", "MISSING_DATE", "NIC")})
    events["REGION"] = county_regions(entries["AGENCY_COUNTY"][first].reset_index(drop=True), lookup).regions
    events["FISCAL_QUARTER"] = _quarter_labels(events["MISSING_DATE"])
    return events


def dps_total_runaway_events(match: MatchResult, lookup: pd.DataFrame,
                             quarter: FiscalQuarter) -> pd.DataFrame:
    """One row per region of the lookup (then UNKNOWN if it has events), then STATEWIDE; one
    column per quarter Q1..Qn and FYTD_TOTAL; zero where there are no events."""
    events = dps_runaway_events(match, lookup)
    labels = [q.label for q in quarter.quarters_to_date()]
    regions = sort_regions(lookup["REGION"])
    counts = _counts(events["REGION"], events["FISCAL_QUARTER"]) if len(events) else pd.DataFrame()
    if UNKNOWN_REGION in counts.index:  # among the distinct regions, not compared row by row
        regions.append(UNKNOWN_REGION)
    table = counts.reindex(index=regions, columns=labels, fill_value=0).fillna(0).astype("int64")
    table.loc[STATEWIDE] = table.sum(axis=0)
    table[FYTD_TOTAL] = table[labels].sum(axis=1)
    table.index.name = "REGION"
    return table.reset_index()
