"""Matching DPS's missing-person entries to IMPACT runaway events (spec §6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd


@dataclass(frozen=True)
class MatchResult:
    entries_in_window: pd.DataFrame      # results rows whose MISSING_DATE is in the window
    entries_outside_window: pd.DataFrame  # counted, not used
    assignments: pd.DataFrame            # NIC -> RUNAWAY_EVENT_ID, one row per assigned entry

    @property
    def reported_event_ids(self) -> set[int]:
        return set(self.assignments["RUNAWAY_EVENT_ID"].tolist())

    @property
    def unassigned_entries(self) -> pd.DataFrame:
        assigned = set(self.assignments["NIC"])
        return self.entries_in_window[~self.entries_in_window["NIC"].isin(assigned)]


def match_entries(entries: pd.DataFrame, events: pd.DataFrame, window_start: date,
                  window_end: date, tolerance_days: int) -> MatchResult:
    """Assign each in-window entry to at most one event of the same person: the event whose
    [RUNAWAY_DATE - T, end + T] holds the entry's MISSING_DATE (end = RETURN_DATE, or the window's
    end while the child is still missing), nearest RUNAWAY_DATE first, then the earlier
    RUNAWAY_DATE, then the smaller RUNAWAY_EVENT_ID."""
    start, end = pd.Timestamp(window_start), pd.Timestamp(window_end)
    in_window = entries["MISSING_DATE"].between(start, end)
    inside, outside = entries[in_window], entries[~in_window]

    tolerance = pd.Timedelta(days=tolerance_days)
    candidates = inside[["NIC", "DFPS_PERSON_ID", "MISSING_DATE"]].merge(
        events[["PERSON_ID", "RUNAWAY_EVENT_ID", "RUNAWAY_DATE", "RETURN_DATE"]],
        left_on="DFPS_PERSON_ID", right_on="PERSON_ID", how="inner",
    )
    episode_end = candidates["RETURN_DATE"].fillna(end)
    fits = (candidates["RUNAWAY_DATE"] - tolerance <= candidates["MISSING_DATE"]) & (
        candidates["MISSING_DATE"] <= episode_end + tolerance)
    candidates = candidates[fits].assign(
        DISTANCE=lambda f: (f["MISSING_DATE"] - f["RUNAWAY_DATE"]).abs())
    best = candidates.sort_values(
        ["NIC", "DISTANCE", "RUNAWAY_DATE", "RUNAWAY_EVENT_ID"], kind="stable"
    ).drop_duplicates("NIC", keep="first")
    assignments = best[["NIC", "RUNAWAY_EVENT_ID"]].reset_index(drop=True)
    return MatchResult(inside.reset_index(drop=True), outside.reset_index(drop=True), assignments)
