"""Matching DPS's missing-person entries to IMPACT runaway events (spec §6)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class MatchResult:
    entries_in_window: pd.DataFrame      # results rows whose MISSING_DATE is in the window
    entries_outside_window: pd.DataFrame  # counted, not used
    assignments: pd.DataFrame            # NIC -> RUNAWAY_EVENT_ID, one row per assigned entry
    # Per row of entries_in_window: whether it was assigned (None: worked out from the NICs).
    assigned_in_window: np.ndarray | None = field(default=None, repr=False, compare=False)

    @cached_property
    def reported_event_ids(self) -> frozenset[int]:
        return frozenset(self.assignments["RUNAWAY_EVENT_ID"].tolist())

    @property
    def unassigned_entries(self) -> pd.DataFrame:
        assigned = self.assigned_in_window
        if assigned is None:
            assigned = self.entries_in_window["NIC"].isin(self.assignments["NIC"]).to_numpy()
        return self.entries_in_window[~assigned]


def match_entries(entries: pd.DataFrame, events: pd.DataFrame, window_start: date,
                  window_end: date, tolerance_days: int) -> MatchResult:
    """Assign each in-window entry to at most one event of the same person: the event whose
    [RUNAWAY_DATE - T, end + T] holds the entry's MISSING_DATE (end = RETURN_DATE, or the window's
    end while the child is still missing), nearest RUNAWAY_DATE first, then the earlier
    RUNAWAY_DATE, then the smaller RUNAWAY_EVENT_ID."""
    start, end = pd.Timestamp(window_start), pd.Timestamp(window_end)
    in_window = entries["MISSING_DATE"].between(start, end).to_numpy()
    tolerance = pd.Timedelta(days=tolerance_days)
    entry_rows, event_rows = _best_candidates(entries["DFPS_PERSON_ID"].to_numpy()[in_window],
                                              _nanoseconds(entries["MISSING_DATE"])[in_window], events, end, tolerance)
    inside, outside = entries[in_window], entries[~in_window]
    for part in (inside, outside):  # new frames already: renumbered in place, not copied again
        part.index = pd.RangeIndex(len(part))
    assignments = pd.DataFrame({
        "NIC": inside["NIC"].iloc[entry_rows].reset_index(drop=True),
        "RUNAWAY_EVENT_ID": events["RUNAWAY_EVENT_ID"].iloc[event_rows].reset_index(drop=True)})
    if len(assignments) and not assignments["NIC"].is_monotonic_increasing:
        assignments = assignments.sort_values("NIC", kind="stable").reset_index(drop=True)
    assigned = np.zeros(len(inside), bool)
    assigned[entry_rows] = True
    nics = assignments["NIC"].to_numpy()
    if (nics[1:] == nics[:-1]).any():  # a NIC on two entries (the parser refuses such a file)
        assignments = _one_per_nic(inside, events, end, tolerance)
        assigned = inside["NIC"].isin(assignments["NIC"]).to_numpy()
    return MatchResult(inside, outside, assignments, assigned)


def _one_per_nic(inside: pd.DataFrame, events: pd.DataFrame, window_end: pd.Timestamp,
                 tolerance: pd.Timedelta) -> pd.DataFrame:
    """The assignment by NIC rather than by entry, through every candidate pair."""
    candidates = inside[["NIC", "DFPS_PERSON_ID", "MISSING_DATE"]].merge(
        events[["PERSON_ID", "RUNAWAY_EVENT_ID", "RUNAWAY_DATE", "RETURN_DATE"]],
        left_on="DFPS_PERSON_ID", right_on="PERSON_ID", how="inner",
    )
    episode_end = candidates["RETURN_DATE"].fillna(window_end)
    fits = (candidates["RUNAWAY_DATE"] - tolerance <= candidates["MISSING_DATE"]) & (
        candidates["MISSING_DATE"] <= episode_end + tolerance)
    candidates = candidates[fits].assign(
        DISTANCE=lambda f: (f["MISSING_DATE"] - f["RUNAWAY_DATE"]).abs())
    best = candidates.sort_values(
        ["NIC", "DISTANCE", "RUNAWAY_DATE", "RUNAWAY_EVENT_ID"], kind="stable"
    ).drop_duplicates("NIC", keep="first")
    return best[["NIC", "RUNAWAY_EVENT_ID"]].reset_index(drop=True)


_DAY = 86_400 * 10**9  # nanoseconds


def _nanoseconds(dates: pd.Series) -> np.ndarray:
    return dates.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _plus(nanoseconds: np.ndarray, delta: int) -> np.ndarray:
    """`nanoseconds + delta`, held at the int64 bounds rather than wrapping around (a RETURN_DATE
    of 2262-04-11 plus the tolerance is past the last day datetime64[ns] holds)."""
    bound = np.iinfo(np.int64)
    if delta >= 0:
        return np.minimum(nanoseconds, bound.max - delta) + delta
    return np.maximum(nanoseconds, bound.min - delta) + delta


def _event_order(person: np.ndarray, runaway: np.ndarray, event_id: np.ndarray) -> np.ndarray:
    """Positions in the order of person, RUNAWAY_DATE, RUNAWAY_EVENT_ID (then position). When the
    dates are whole days and person and day fit one 63-bit key: two stable sorts, not a lexsort."""
    if len(person) and person.dtype.kind in "iu" and event_id.dtype.kind in "iu" and not (runaway % _DAY).any():
        days = runaway // _DAY
        low_person, low_day = int(person.min()), int(days.min())
        day_span = int(days.max()) - low_day + 1
        if (int(person.max()) - low_person + 1) * day_span < 2**62:
            key = (person.astype(np.int64) - low_person) * day_span + (days - low_day)
            by_key = np.argsort(key, kind="stable")
            ordered = key[by_key]
            same = ordered[1:] == ordered[:-1]
            if same.any():  # a person ran away twice on one day: those few by id, then position
                tied = np.flatnonzero(np.r_[same, False] | np.r_[False, same])
                group = by_key[tied]
                by_key[tied] = group[np.lexsort((group, event_id[group], ordered[tied]))]
            return by_key
    return np.lexsort((event_id, runaway, person))


def _best_candidates(entry_person: np.ndarray, entry_missing: np.ndarray, events: pd.DataFrame,
                     window_end: pd.Timestamp, tolerance: pd.Timedelta) -> tuple[np.ndarray, np.ndarray]:
    """(entry row, event row) of each assignment, for in-window entries' persons and MISSING_DATEs
    (nanoseconds). Events are ordered by person, RUNAWAY_DATE and
    RUNAWAY_EVENT_ID; each entry's candidates are the run of its person's events (found by binary
    search, no merge), so the first nearest candidate of an entry is the one the tie-breaks pick."""
    runaway = _nanoseconds(events["RUNAWAY_DATE"])
    usable = np.flatnonzero(~events["RUNAWAY_DATE"].isna().to_numpy())
    order = usable[_event_order(events["PERSON_ID"].to_numpy()[usable], runaway[usable],
                                events["RUNAWAY_EVENT_ID"].to_numpy()[usable])]
    person, runaway = events["PERSON_ID"].to_numpy()[order], runaway[order]
    returned = events["RETURN_DATE"].to_numpy(dtype="datetime64[ns]")[order]
    episode_end = np.where(np.isnat(returned), window_end.to_datetime64(), returned).view(np.int64)
    if not len(order) or not len(entry_person):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # Each person's run of events: searched among the distinct persons (fewer, so faster).
    people_first = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
    people, people_count = person[people_first], np.diff(np.r_[people_first, len(person)])
    found = pd.Index(people).get_indexer(entry_person)  # a hash look-up; -1: no event of the person
    first = people_first[found]
    count = np.where(found >= 0, people_count[found], 0)
    slack = tolerance.value
    day = _DAY
    if not (runaway % day).any():
        # Only events that ran away by MISSING_DATE + T can hold it: a prefix of the person's run,
        # found by binary search on a (person, day) key.
        days = runaway // day
        low_day, span = int(days.min()), int(days.max() - days.min()) + 2
        key = np.repeat(np.arange(len(people), dtype=np.int64), people_count) * span + (days - low_day)
        last_day = np.clip(_plus(entry_missing, slack) // day - low_day, -1, span - 1)
        queries = found.astype(np.int64) * span + last_day
        by_query = np.argsort(queries)  # sorted queries: a binary search that stays in cache
        limit = np.empty(len(queries), np.int64)
        limit[by_query] = np.searchsorted(key, queries[by_query], side="right")
        count = np.minimum(count, np.maximum(limit - first, 0))
    lowest, highest = _plus(runaway, -slack), _plus(episode_end, slack)  # each event's MISSING_DATE range
    pairs = int(count.sum())
    index = np.int32 if max(pairs, len(order)) < 2**31 else np.int64
    entry_rows = np.repeat(np.arange(len(entry_person), dtype=index), count)
    # Each pair's event: the entry's first event plus the pair's place within the entry's run.
    run_start = np.cumsum(count) - count
    event_at = np.repeat((first - run_start).astype(index), count) + np.arange(pairs, dtype=index)
    missing = np.repeat(entry_missing, count)
    fits = lowest[event_at] <= missing
    fits &= missing <= highest[event_at]
    fitting = np.flatnonzero(fits)
    if not len(fitting):
        return fitting, fitting
    entry_rows, event_at = entry_rows[fitting], event_at[fitting]
    distance = np.abs(missing[fitting] - runaway[event_at])
    # Per entry (pairs are grouped by entry, in event order): the first pair at the least distance.
    new_entry = np.empty(len(entry_rows), bool)
    new_entry[0] = True
    np.not_equal(entry_rows[1:], entry_rows[:-1], out=new_entry[1:])
    group_start = np.flatnonzero(new_entry)
    least = np.minimum.reduceat(distance, group_start)
    at_nearest = np.flatnonzero(distance == least[np.cumsum(new_entry) - 1])
    best = at_nearest[np.searchsorted(at_nearest, group_start)]
    return entry_rows[best], order[event_at[best]]
