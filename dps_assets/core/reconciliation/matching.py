"""Matching DPS's missing-person entries to IMPACT runaway events (spec §6)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from itertools import pairwise

import numpy as np
import pandas as pd

from dps_assets.core.reconciliation.integer_sort import nic_order, stable_argsort

# The rule in one line, as the reports' About sheets state it (T: the match tolerance in days).
MATCHING_RULE = ("same person; RUNAWAY_DATE - T <= MISSING_DATE <= (RETURN_DATE or window end) + T; "
                 "nearest RUNAWAY_DATE, then earlier, then smaller RUNAWAY_EVENT_ID")
# Candidate pairs weighed at a time: a block's arrays take a few MB, so the memory one block frees
# serves the next (glibc hands back to the system, and faults in afresh, every array above 32 MB:
# at a million entries the system time of that was a third of the matching).
PAIRS_PER_BLOCK = 1 << 18


@dataclass(frozen=True)
class MatchResult:
    entries_in_window: pd.DataFrame      # results rows whose MISSING_DATE is in the window
    entries_outside_window: pd.DataFrame  # counted, not used
    assignments: pd.DataFrame            # NIC -> RUNAWAY_EVENT_ID, one row per assigned entry
    # Per row of entries_in_window: whether it was assigned (None: worked out from the NICs).
    assigned_in_window: np.ndarray | None = field(default=None, repr=False, compare=False)
    # Positions of entries_in_window in NIC order (None: worked out from the NICs).
    in_nic_order: np.ndarray | None = field(default=None, repr=False, compare=False)

    @cached_property
    def reported_event_ids(self) -> frozenset[int]:
        return frozenset(self.assignments["RUNAWAY_EVENT_ID"].tolist())

    @cached_property
    def entries_by_nic(self) -> np.ndarray:
        """Positions of entries_in_window in NIC order, ties in position order: an arange when
        they come in NIC order (DPS sorts its file by NIC), else sorted by the NICs' numbers."""
        return nic_order(self.entries_in_window["NIC"]) if self.in_nic_order is None else self.in_nic_order

    @property
    def unassigned_entries(self) -> pd.DataFrame:
        assigned = self.assigned_in_window
        if assigned is None:
            assigned = self.entries_in_window["NIC"].isin(self.assignments["NIC"]).to_numpy()
        return self.entries_in_window[~assigned]


def match_entries(entries: pd.DataFrame, events: pd.DataFrame, window_start: date,
                  window_end: date, tolerance_days: int, *, pairs_per_block: int = PAIRS_PER_BLOCK) -> MatchResult:
    """Assign each in-window entry to at most one event of the same person: the event whose
    [RUNAWAY_DATE - T, end + T] holds the entry's MISSING_DATE (end = RETURN_DATE, or the window's
    end while the child is still missing), nearest RUNAWAY_DATE first, then the earlier
    RUNAWAY_DATE, then the smaller RUNAWAY_EVENT_ID.

    The candidate pairs are weighed `pairs_per_block` at a time: the result is the same whatever
    the block, only the memory differs."""
    start, end = pd.Timestamp(window_start), pd.Timestamp(window_end)
    in_window = entries["MISSING_DATE"].between(start, end).to_numpy()
    tolerance = pd.Timedelta(days=tolerance_days)
    entry_rows, event_rows = _best_candidates(entries["DFPS_PERSON_ID"].to_numpy()[in_window],
                                              _nanoseconds(entries["MISSING_DATE"])[in_window], events, end, tolerance,
                                              pairs_per_block)
    inside, outside = entries[in_window], entries[~in_window]
    for part in (inside, outside):  # new frames already: renumbered in place, not copied again
        part.index = pd.RangeIndex(len(part))
    assigned = np.zeros(len(inside), bool)
    assigned[entry_rows] = True
    event_of = np.zeros(len(inside), np.int64)
    event_of[entry_rows] = event_rows
    by_nic = nic_order(inside["NIC"])
    entry_rows = by_nic[assigned[by_nic]]  # the assignments in NIC order, with no sort of the text
    assignments = pd.DataFrame({
        "NIC": inside["NIC"].iloc[entry_rows].reset_index(drop=True),
        "RUNAWAY_EVENT_ID": events["RUNAWAY_EVENT_ID"].iloc[event_of[entry_rows]].reset_index(drop=True)})
    nics = assignments["NIC"].to_numpy()
    if (nics[1:] == nics[:-1]).any():  # a NIC on two entries (the parser refuses such a file)
        assignments = _one_per_nic(inside, events, end, tolerance)
        assigned = inside["NIC"].isin(assignments["NIC"]).to_numpy()
    return MatchResult(inside, outside, assignments, assigned, by_nic)


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


NANOSECONDS_PER_DAY = 86_400 * 10**9


def _nanoseconds(dates: pd.Series) -> np.ndarray:
    return dates.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _plus(nanoseconds: np.ndarray, delta: int) -> np.ndarray:
    """`nanoseconds + delta`, held at the int64 bounds rather than wrapping around (a RETURN_DATE
    of 2262-04-11 plus the tolerance is past the last day datetime64[ns] holds)."""
    bound = np.iinfo(np.int64)
    held: np.ndarray = (np.minimum(nanoseconds, bound.max - delta) if delta >= 0
                        else np.maximum(nanoseconds, bound.min - delta))
    return held + delta


@dataclass(frozen=True)
class _PersonDay:
    """Events' (person, day) packed in one integer, (person - low_person) × day_span + (day -
    low_day), kept in the events' order (so sorted): each entry's run of events, and the prefix of
    it that ran away by a given day, are two binary searches in it."""

    keys: np.ndarray
    low_person: int
    high_person: int
    low_day: int
    day_span: int

    @classmethod
    def of(cls, person: np.ndarray, runaway: np.ndarray) -> _PersonDay | None:
        """The keys of events in any order, when persons are integers, dates whole days and both
        fit 62 bits; else None."""
        if not len(person) or person.dtype.kind not in "iu" or (runaway % NANOSECONDS_PER_DAY).any():
            return None
        days = runaway // NANOSECONDS_PER_DAY
        low_person, high_person, low_day = int(person.min()), int(person.max()), int(days.min())
        day_span = int(days.max()) - low_day + 1
        if (high_person - low_person + 1) * day_span >= 2**62:
            return None
        keys = (person.astype(np.int64) - low_person) * day_span + (days - low_day)
        return cls(keys, low_person, high_person, low_day, day_span)

    def runs(self, person: np.ndarray, last_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each (person, day): where its person's events start, and how many of them ran away
        on that day or before."""
        known = (person >= self.low_person) & (person <= self.high_person)
        start = np.where(known, person.astype(np.int64), self.low_person) - self.low_person  # int64 first:
        # a narrower id type would hold low_person wrapped round
        start *= self.day_span
        last = start + np.clip(last_day - self.low_day, -1, self.day_span - 1)
        by_query = stable_argsort(last + 1)  # searched in order: a binary search that stays in cache
        first, limit = np.empty(len(person), np.int64), np.empty(len(person), np.int64)
        first[by_query] = np.searchsorted(self.keys, start[by_query], side="left")
        limit[by_query] = np.searchsorted(self.keys, last[by_query], side="right")
        return first, np.where(known, np.maximum(limit - first, 0), 0)


def _event_order(person: np.ndarray, runaway: np.ndarray, event_id: np.ndarray) -> tuple[np.ndarray, _PersonDay | None]:
    """Positions in the order of person, RUNAWAY_DATE, RUNAWAY_EVENT_ID (then position), and the
    events' _PersonDay in that order where there is one: then one radix sort of it, not a lexsort."""
    person_day = _PersonDay.of(person, runaway) if event_id.dtype.kind in "iu" else None
    if person_day is None:
        return np.lexsort((event_id, runaway, person)), None
    by_key = stable_argsort(person_day.keys)
    ordered = person_day.keys[by_key]
    same = ordered[1:] == ordered[:-1]
    if same.any():  # a person ran away twice on one day: those few by id, then position
        tied = np.flatnonzero(np.r_[same, False] | np.r_[False, same])
        group = by_key[tied]
        by_key[tied] = group[np.lexsort((group, event_id[group], ordered[tied]))]
    return by_key, replace(person_day, keys=ordered)


def _best_candidates(entry_person: np.ndarray, entry_missing: np.ndarray, events: pd.DataFrame,
                     window_end: pd.Timestamp, tolerance: pd.Timedelta,
                     pairs_per_block: int) -> tuple[np.ndarray, np.ndarray]:
    """(entry row, event row) of each assignment, for in-window entries' persons and MISSING_DATEs
    (nanoseconds). Events are ordered by person, RUNAWAY_DATE and RUNAWAY_EVENT_ID; each entry's
    candidates are a run of its person's events (found by binary search, no merge), so the first
    nearest candidate of an entry is the one the tie-breaks pick."""
    usable = np.flatnonzero(~events["RUNAWAY_DATE"].isna().to_numpy())
    person, runaway = events["PERSON_ID"].to_numpy()[usable], _nanoseconds(events["RUNAWAY_DATE"])[usable]
    by_event, person_day = _event_order(person, runaway, events["RUNAWAY_EVENT_ID"].to_numpy()[usable])
    order = usable[by_event]
    person, runaway = person[by_event], runaway[by_event]
    if not len(order) or not len(entry_person):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    returned = events["RETURN_DATE"].to_numpy(dtype="datetime64[ns]")[order]
    episode_end = np.where(np.isnat(returned), window_end.to_datetime64(), returned).view(np.int64)
    slack = tolerance.value
    if person_day is not None and entry_person.dtype.kind in "iu":
        # Only events that ran away by MISSING_DATE + T can hold it: a prefix of the person's run.
        first, count = person_day.runs(entry_person, _plus(entry_missing, slack) // NANOSECONDS_PER_DAY)
    else:  # each person's whole run, looked up among the distinct persons
        people_first = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
        found = pd.Index(person[people_first]).get_indexer(entry_person)  # -1: no event of the person
        first = people_first[found]
        count = np.where(found >= 0, np.diff(np.r_[people_first, len(person)])[found], 0)
    lowest, highest = _plus(runaway, -slack), _plus(episode_end, slack)  # each event's MISSING_DATE range
    index = np.int32 if max(len(entry_person), len(order)) < 2**31 else np.int64
    blocks = [_nearest_in_block(slice(lo, hi), first, count, entry_missing, lowest, highest, runaway, index)
              for lo, hi in _blocks(count, pairs_per_block)]
    entry_rows = np.concatenate([rows for rows, _ in blocks]) if blocks else np.zeros(0, np.int64)
    event_at = np.concatenate([at for _, at in blocks]) if blocks else np.zeros(0, np.int64)
    return entry_rows, order[event_at]


def _blocks(count: np.ndarray, pairs_per_block: int) -> list[tuple[int, int]]:
    """Consecutive runs of entries, each with about `pairs_per_block` candidate pairs (an entry with
    more pairs than that is a block of its own)."""
    ends = np.searchsorted(np.cumsum(count), np.arange(1, int(count.sum()) // pairs_per_block + 1) * pairs_per_block,
                           side="right")
    bounds = np.unique(np.r_[0, ends, len(count)])
    return list(pairwise(bounds.tolist()))


def _nearest_in_block(block: slice, first: np.ndarray, count: np.ndarray, entry_missing: np.ndarray,
                      lowest: np.ndarray, highest: np.ndarray, runaway: np.ndarray,
                      index: type) -> tuple[np.ndarray, np.ndarray]:
    """(entry row, ordered event position) of each assignment of the entries in `block`: every
    pair of an entry and an event of its run, kept where the event's range holds MISSING_DATE, and
    per entry the first pair at the least distance."""
    count = count[block]
    pairs = int(count.sum())
    if not pairs:
        return np.zeros(0, index), np.zeros(0, index)
    entry_rows = np.repeat(np.arange(block.start, block.stop, dtype=index), count)
    # Each pair's event: the entry's first event plus the pair's place within the entry's run.
    run_start = np.cumsum(count) - count
    event_at = np.repeat((first[block] - run_start).astype(index), count) + np.arange(pairs, dtype=index)
    missing = np.repeat(entry_missing[block], count)
    fits = lowest[event_at] <= missing
    fits &= missing <= highest[event_at]
    fitting = np.flatnonzero(fits)
    if not len(fitting):
        return np.zeros(0, index), np.zeros(0, index)
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
    return entry_rows[best], event_at[best]
