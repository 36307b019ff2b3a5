"""The quarterly reports (spec §7), as frames, and what a written report hands on. Writing them
to Excel is core.workbooks' job; which reports there are is the registry's (assets/report_kinds)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.impact.regions import (
    STATEWIDE,
    UNKNOWN_REGION,
    county_regions,
    per_distinct,
    region_order,
    sort_regions,
)
from dps_assets.core.reconciliation.integer_sort import stable_argsort
from dps_assets.core.reconciliation.matching import NANOSECONDS_PER_DAY, MatchResult

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
    """A report as written for a quarter: its workbook, the rows of its data sheet, what its
    numbers are in words (`report_summary`: counts only, what the email says of it), and the
    workbook's web address where it was published (SharePoint), if it was."""

    path: Path
    rows: int
    summary: str = ""
    web_url: str | None = None


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def is_region_totals(frame: pd.DataFrame) -> bool:
    """A table of counts by region ending in its STATEWIDE row (`dps_total_runaway_events`)."""
    return (FYTD_TOTAL in frame.columns and "REGION" in frame.columns and len(frame) > 0
            and frame["REGION"].iloc[-1] == STATEWIDE)


def count_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of a report that hold counts, which its sheet writes with thousands separators:
    a table of counts by region's quarters and FYTD_TOTAL. A list of rows has none: its numbers
    are ids and codes (PERSON_ID, REGION)."""
    return [str(c) for c in frame.columns if c != "REGION"] if is_region_totals(frame) else []


def report_summary(frame: pd.DataFrame, rows_are: str) -> str:
    """What a report's numbers are, in words, counts only. A list of rows: what its rows are
    (`rows_are`) and how many; the totals by region: how many regions and events, fiscal year to
    date. UNKNOWN is no region: its events (a county the lookup does not place) are named apart."""
    if is_region_totals(frame):
        named = frame.iloc[:-1]
        unknown = named["REGION"].astype(str) == UNKNOWN_REGION
        regions = _plural(int((~unknown).sum()), "region", "regions")
        events = _plural(int(frame[FYTD_TOTAL].iloc[-1]), "event", "events")
        text = f"DPS runaway events by region and quarter: {regions}, {events} fiscal year to date"
        unplaced = int(named.loc[unknown, FYTD_TOTAL].sum())
        if unplaced:
            where = "a county" if unplaced == 1 else "counties"
            text += f", {unplaced:,} of them in {where} with no region (UNKNOWN)"
        return text
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
    """Non-negative integers that order as the column's values do, missing last, spanning no more
    than the values do (dates in whole days where they are whole days)."""
    if column.name == "REGION":
        return region_order(column).to_numpy()
    if pd.api.types.is_datetime64_any_dtype(column):
        values = column.to_numpy(dtype="datetime64[ns]").view("int64")
        missing = column.isna().to_numpy()
        if not (values[~missing] % NANOSECONDS_PER_DAY).any():
            values = values // NANOSECONDS_PER_DAY
        return _missing_last(values, missing)
    if pd.api.types.is_integer_dtype(column):
        return _missing_last(column.to_numpy(dtype="int64", na_value=0), column.isna().to_numpy())
    codes, distinct = pd.factorize(column, sort=True)  # -1 for a missing value
    return np.where(codes < 0, len(distinct), codes)



def _missing_last(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """`values` less their least present value, missing ones one past the greatest (where their
    span is all of int64: the values, missing ones the greatest int64)."""
    present = values[~missing]
    if not len(present):
        return np.zeros(len(values), dtype="int64")
    low, high = int(present.min()), int(present.max())
    if high - low + 1 >= 2**63:
        return np.where(missing, np.iinfo("int64").max, values)
    codes = values - low
    codes[missing] = high - low + 1
    return codes


def _stable_order(keys: list[np.ndarray]) -> np.ndarray:
    """Positions ordered by keys[0], then keys[1], …, ties in position order (np.lexsort of the
    keys reversed): one stable sort of one packed integer when the keys' spans multiply below 2**63."""
    if not len(keys) or not len(keys[0]):
        return np.arange(len(keys[0]) if keys else 0)
    packed, span = np.zeros(len(keys[0]), dtype="int64"), 1
    for key in keys:
        low, high = int(key.min()), int(key.max())
        span *= high - low + 1
        if span >= 2**63:
            return np.lexsort(keys[::-1])
        packed = packed * (high - low + 1) + (key - low)
    return stable_argsort(packed)


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
    nic_rank = np.empty(len(entries), dtype=np.int64)
    nic_rank[match.entries_by_nic] = np.arange(len(entries))
    return _report(entries, np.flatnonzero(~assigned), "MISSING_DATE", "AGENCY_COUNTY", lookup,
                   DPS_NOT_IN_IMPACT_COLUMNS, ["REGION", "MISSING_DATE", "NIC"], ranked=("NIC", nic_rank))


def _report(source: pd.DataFrame, rows: np.ndarray, date_column: str, county_column: str,
            lookup: pd.DataFrame, columns: tuple[str, ...], sort_by: list[str],
            ranked: tuple[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The report of `source`'s rows at positions `rows`: FISCAL_QUARTER of `date_column`, REGION
    and the lookup's spelling of `county_column`, the columns in order, sorted by `sort_by`.
    Each column is gathered once, already in the report's order (at a million rows, copying
    the frame at every step cost more than the work). `ranked`: a column, and each row of
    `source`'s place in that column's order, so sorted by those (80,000 NICs: 0.1 s less than
    sorting their text)."""
    picked = {name: source[name].iloc[rows].reset_index(drop=True)
              for name in (date_column, county_column)}
    placed = county_regions(picked[county_column], lookup)
    computed = {"FISCAL_QUARTER": _quarter_labels(picked[date_column]), "REGION": placed.regions,
                county_column: placed.counties}
    ranked_column, rank = ranked if ranked else (None, None)
    keys = {name: computed[name] if name in computed else source[name].iloc[rows].reset_index(drop=True)
            for name in sort_by if name != ranked_column}
    order = _stable_order([rank[rows] if rank is not None and name == ranked_column else _sort_codes(keys[name])
                           for name in sort_by])
    positions = rows[order]
    # copy=False: each column its own block, not stacked by dtype into a copy (a third of the time).
    return pd.DataFrame({
        name: (computed[name].take(order) if name in computed else source[name].take(positions)).reset_index(drop=True)
        for name in columns}, copy=False)


def dps_runaway_events_by_region(match: MatchResult, lookup: pd.DataFrame) -> pd.DataFrame:
    """How many DPS runaway events each region has in each fiscal quarter (rows: the regions as
    reports show them; columns: the quarters' labels). A DPS runaway event is a distinct
    (DFPS_PERSON_ID, MISSING_DATE) among in-window entries, placed in the region of the agency
    county of its entry with the smallest NIC. Counted by integer codes: regions are worked out
    once per distinct county, quarters once per distinct day."""
    entries, by_nic = match.entries_in_window, match.entries_by_nic  # the entries' columns taken in NIC order
    day_codes, days = pd.factorize(entries["MISSING_DATE"].take(by_nic), use_na_sentinel=False)
    person_codes, persons = pd.factorize(entries["DFPS_PERSON_ID"].take(by_nic), use_na_sentinel=False)
    first = np.flatnonzero(~pd.Series(person_codes.astype("int64") * max(len(days), 1) + day_codes).duplicated())
    county_codes, counties = pd.factorize(entries["AGENCY_COUNTY"].to_numpy()[by_nic[first]], use_na_sentinel=False)
    region_codes, regions = pd.factorize(county_regions(pd.Series(counties, dtype="object"), lookup).regions,
                                         use_na_sentinel=False)
    quarter_codes, quarters = pd.factorize(_quarter_labels(pd.Series(days)), use_na_sentinel=False)
    cells = region_codes[county_codes] * len(quarters) + quarter_codes[day_codes[first]]
    counts = np.bincount(cells, minlength=len(regions) * len(quarters))
    return pd.DataFrame(counts.reshape(len(regions), len(quarters)),
                        index=pd.Index(regions, dtype="object", name="REGION"),
                        columns=pd.Index(quarters, dtype="object", name="FISCAL_QUARTER"))


def dps_total_runaway_events(match: MatchResult, lookup: pd.DataFrame,
                             quarter: FiscalQuarter) -> pd.DataFrame:
    """One row per region of the lookup (then UNKNOWN if it has events), then STATEWIDE; one
    column per quarter Q1..Qn and FYTD_TOTAL; zero where there are no events."""
    counts = dps_runaway_events_by_region(match, lookup)
    labels = [q.label for q in quarter.quarters_to_date()]
    regions = sort_regions(lookup["REGION"])
    if UNKNOWN_REGION in counts.index:  # among the distinct regions, not compared row by row
        regions.append(UNKNOWN_REGION)
    table = counts.reindex(index=regions, columns=labels, fill_value=0).astype("int64")
    table.loc[STATEWIDE] = table.sum(axis=0)
    table[FYTD_TOTAL] = table[labels].sum(axis=1)
    table.index.name = "REGION"
    return table.reset_index()
