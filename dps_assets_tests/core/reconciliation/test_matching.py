"""Spec §6 clause by clause."""

from datetime import date

import pandas as pd
import pytest

from dps_assets.core.reconciliation.matching import match_entries
from dps_assets.core.schemas import SA_98_DATE_COLUMNS, calendar_days

WINDOW = (date(2024, 9, 1), date(2025, 5, 31))  # FY2025-Q3


def entries(*rows):
    frame = pd.DataFrame(rows, columns=["NIC", "DFPS_PERSON_ID", "MISSING_DATE", "AGENCY_COUNTY"])
    frame["MISSING_DATE"] = pd.to_datetime(frame["MISSING_DATE"])
    return frame


def events(*rows):
    frame = pd.DataFrame(rows, columns=["RUNAWAY_EVENT_ID", "PERSON_ID", "RUNAWAY_DATE", "RETURN_DATE"])
    frame["RUNAWAY_DATE"] = pd.to_datetime(frame["RUNAWAY_DATE"])
    frame["RETURN_DATE"] = pd.to_datetime(frame["RETURN_DATE"])
    return frame


def assigned(entry_rows, event_rows, tolerance=7):
    result = match_entries(entries(*entry_rows), events(*event_rows), *WINDOW, tolerance)
    return dict(zip(result.assignments["NIC"], result.assignments["RUNAWAY_EVENT_ID"], strict=True))


def test_same_person_inside_the_episode():
    assert assigned([("M1", 1, "2025-01-10", "X")], [(10, 1, "2025-01-05", "2025-01-20")]) == {"M1": 10}


def test_other_person_never_matches():
    assert assigned([("M1", 2, "2025-01-10", "X")], [(10, 1, "2025-01-10", "2025-01-20")]) == {}


@pytest.mark.parametrize(
    "missing, matches",
    [
        ("2024-12-25", True),   # RUNAWAY_DATE - 7: the lower edge is inclusive
        ("2024-12-24", False),  # one day before the lower edge
        ("2025-01-27", True),   # RETURN_DATE + 7: the upper edge is inclusive
        ("2025-01-28", False),
    ],
)
def test_tolerance_edges(missing, matches):
    result = assigned([("M1", 1, missing, "X")], [(10, 1, "2025-01-01", "2025-01-20")])
    assert (result == {"M1": 10}) is matches


def test_tolerance_comes_from_the_caller():
    rows = ([("M1", 1, "2024-12-29", "X")], [(10, 1, "2025-01-01", "2025-01-20")])
    assert assigned(*rows, tolerance=3) == {"M1": 10}
    assert assigned(*rows, tolerance=2) == {}


def test_open_episode_runs_to_the_window_end():
    open_event = [(10, 1, "2025-03-01", None)]
    assert assigned([("M1", 1, "2025-05-31", "X")], open_event) == {"M1": 10}
    # A closed episode of the same dates would not reach so far.
    assert assigned([("M1", 1, "2025-05-31", "X")], [(10, 1, "2025-03-01", "2025-03-10")]) == {}


def test_open_episode_lower_edge():
    open_event = [(10, 1, "2025-03-01", None)]
    assert assigned([("M1", 1, "2025-02-22", "X")], open_event) == {"M1": 10}
    assert assigned([("M1", 1, "2025-02-21", "X")], open_event) == {}


def test_entries_outside_the_window_take_no_part_but_are_counted():
    result = match_entries(
        entries(("M1", 1, "2024-08-31", "X"), ("M2", 1, "2025-06-01", "X"), ("M3", 1, "2024-09-01", "X")),
        events((10, 1, "2024-08-30", "2025-07-01")), *WINDOW, 7)
    assert result.entries_outside_window["NIC"].tolist() == ["M1", "M2"]
    assert result.entries_in_window["NIC"].tolist() == ["M3"]
    assert dict(zip(result.assignments["NIC"], result.assignments["RUNAWAY_EVENT_ID"], strict=True)) == {"M3": 10}


def test_events_after_the_window_are_still_candidates():
    # Every sa_98 event of the fiscal year is a candidate, even one that starts after window_end.
    assert assigned([("M1", 1, "2025-05-30", "X")], [(10, 1, "2025-06-03", "2025-06-10")]) == {"M1": 10}


def test_nearest_runaway_date_wins():
    rows = [(10, 1, "2025-01-01", "2025-02-01"), (11, 1, "2025-01-12", "2025-01-14")]
    assert assigned([("M1", 1, "2025-01-10", "X")], rows) == {"M1": 11}


def test_tie_on_distance_goes_to_the_earlier_runaway_date():
    rows = [(11, 1, "2025-01-14", "2025-01-20"), (10, 1, "2025-01-06", "2025-01-20")]
    assert assigned([("M1", 1, "2025-01-10", "X")], rows) == {"M1": 10}


def test_tie_on_date_goes_to_the_smaller_event_id():
    rows = [(12, 1, "2025-01-06", "2025-01-20"), (10, 1, "2025-01-06", "2025-01-25")]
    assert assigned([("M1", 1, "2025-01-10", "X")], rows) == {"M1": 10}


def test_each_entry_gets_exactly_one_event_and_an_event_may_get_several_entries():
    rows = [(10, 1, "2025-01-06", "2025-01-20")]
    result = assigned([("M1", 1, "2025-01-07", "A"), ("M2", 1, "2025-01-07", "B")], rows)
    assert result == {"M1": 10, "M2": 10}


def test_reported_events_and_unassigned_entries():
    result = match_entries(
        entries(("M1", 1, "2025-01-07", "A"), ("M2", 2, "2025-01-07", "B")),
        events((10, 1, "2025-01-06", "2025-01-20"), (11, 3, "2025-01-06", None)), *WINDOW, 7)
    assert result.reported_event_ids == {10}
    assert result.unassigned_entries["NIC"].tolist() == ["M2"]


def test_empty_inputs():
    result = match_entries(entries(), events(), *WINDOW, 7)
    assert result.assignments.empty and result.reported_event_ids == set()


def test_oracle_times_of_day_are_dropped_before_matching():
    # Oracle DATEs carry a time; sa_98 keeps the calendar day, so the tolerance counts whole days
    # and a runaway on the window's last day afternoon is in the window.
    raw = pd.DataFrame({"DOB": pd.to_datetime(["2010-02-03 00:00", None]),
                        "RUNAWAY_DATE": pd.to_datetime(["2025-01-08 09:00", "2025-05-31 14:00"]),
                        "RETURN_DATE": pd.to_datetime([None, "2025-06-02 23:59"])})
    days = calendar_days(raw, SA_98_DATE_COLUMNS)
    assert days["RUNAWAY_DATE"].tolist() == [pd.Timestamp("2025-01-08"), pd.Timestamp("2025-05-31")]
    assert days["RETURN_DATE"].iloc[1] == pd.Timestamp("2025-06-02") and pd.isna(days["RETURN_DATE"].iloc[0])
    assert raw["RUNAWAY_DATE"].iloc[0].hour == 9  # the input is left alone

    timed = events((10, 1, "2025-01-08 09:00", "2025-01-20 17:30"))
    assert match_entries(entries(("M1", 1, "2025-01-01", "X")), timed, *WINDOW, 7).assignments.empty
    [event_id] = match_entries(entries(("M1", 1, "2025-01-01", "X")),
                               calendar_days(timed, ("RUNAWAY_DATE", "RETURN_DATE")), *WINDOW, 7
                               ).assignments["RUNAWAY_EVENT_ID"]
    assert event_id == 10


def test_a_nic_on_two_entries_still_gets_one_event():
    # The parser refuses such a file; the matching still assigns per NIC, the nearest of both entries' events.
    rows = [(10, 1, "2025-01-06", "2025-01-20"), (11, 2, "2025-01-09", "2025-01-20")]
    result = match_entries(entries(("M1", 1, "2025-01-10", "A"), ("M1", 2, "2025-01-10", "B")), events(*rows),
                           *WINDOW, 7)
    assert result.assignments.to_dict("list") == {"NIC": ["M1"], "RUNAWAY_EVENT_ID": [11]}


def test_assignments_come_in_nic_order_whatever_the_entries_order():
    rows = [(10, 1, "2025-01-06", None), (11, 2, "2025-01-06", None), (12, 3, "2025-01-06", None)]
    result = match_entries(entries(("M3", 3, "2025-01-10", "A"), ("M1", 1, "2025-01-10", "B"),
                                   ("M2", 2, "2025-01-10", "C")), events(*rows), *WINDOW, 7)
    assert result.assignments["NIC"].tolist() == ["M1", "M2", "M3"]
    assert result.assignments["RUNAWAY_EVENT_ID"].tolist() == [10, 11, 12]


def test_same_assignments_as_every_candidate_pair_sorted_on_random_data():
    import numpy as np

    from dps_assets.core.reconciliation.matching import _one_per_nic

    rng = np.random.default_rng(6)
    start = pd.Timestamp(WINDOW[0])
    for _ in range(30):
        n_events, n_entries = int(rng.integers(1, 300)), int(rng.integers(1, 300))
        people = int(rng.integers(1, 40))
        timed = rng.random() < 0.3  # times of day: no search by day, every event of the person
        event_frame = events(*[(int(rng.integers(1, 60)), int(rng.integers(1, people + 1)),
                                start + pd.Timedelta(days=int(rng.integers(-20, 300)),
                                                     hours=int(rng.integers(0, 24)) if timed else 0), None)
                               for _ in range(n_events)])
        ends = event_frame["RUNAWAY_DATE"] + pd.to_timedelta(rng.integers(-3, 40, n_events), unit="D")
        event_frame["RETURN_DATE"] = ends.where(rng.random(n_events) < 0.7)
        event_frame = event_frame.sample(frac=1, random_state=int(rng.integers(1000)))  # any order, any index
        entry_frame = entries(*[(f"M{i:09d}", int(rng.integers(1, people + 2)),
                                 start + pd.Timedelta(days=int(rng.integers(-10, 290))), "X")
                                for i in range(n_entries)])
        entry_frame = entry_frame.sample(frac=1, random_state=int(rng.integers(1000)))
        tolerance = int(rng.integers(0, 10))
        result = match_entries(entry_frame, event_frame, *WINDOW, tolerance)
        expected = _one_per_nic(result.entries_in_window, event_frame, pd.Timestamp(WINDOW[1]),
                                pd.Timedelta(days=tolerance))
        pd.testing.assert_frame_equal(result.assignments, expected)
        for pairs_per_block in (1, 7):  # many small blocks, and entries with more pairs than a block
            in_blocks = match_entries(entry_frame, event_frame, *WINDOW, tolerance, pairs_per_block=pairs_per_block)
            pd.testing.assert_frame_equal(in_blocks.assignments, expected)
            assert (in_blocks.assigned_in_window == result.assigned_in_window).all()


def test_unassigned_entries_and_reported_events_without_the_assigned_mask():
    # A MatchResult stored before the mask existed (or built by hand) works them out from the NICs.
    from dps_assets.core.reconciliation.matching import MatchResult

    result = match_entries(
        entries(("M1", 1, "2025-01-07", "A"), ("M2", 2, "2025-01-07", "B"), ("M3", 1, "2025-03-07", "C")),
        events((10, 1, "2025-01-06", "2025-01-20"), (11, 3, "2025-01-06", None)), *WINDOW, 7)
    bare = MatchResult(result.entries_in_window, result.entries_outside_window, result.assignments)
    pd.testing.assert_frame_equal(bare.unassigned_entries, result.unassigned_entries)
    assert result.unassigned_entries["NIC"].tolist() == ["M2", "M3"]
    assert bare.reported_event_ids == result.reported_event_ids == {10}


@pytest.mark.parametrize("runaway_ns, person_span", [
    (86_400 * 10**9, 10**6),     # whole days, small ids: one packed key
    (3_600 * 10**9, 10**6),      # times of day: the lexsort
    (86_400 * 10**9, 2**62),     # ids too far apart for one key: the lexsort
    (86_400 * 10**9, 0),         # no person twice on one day: one sort of the key
])
def test_events_are_ordered_by_person_runaway_date_and_id(runaway_ns, person_span):
    import numpy as np

    from dps_assets.core.reconciliation.matching import _event_order

    rng = np.random.default_rng(3)
    person = (rng.choice(np.array([0, person_span - 1, 5, 7], dtype=np.int64), 500) if person_span
              else rng.permutation(500).astype(np.int64))
    runaway = rng.integers(-3, 4, 500) * runaway_ns + 1_700_000_000 * 10**9 // runaway_ns * runaway_ns
    event_id = rng.integers(1, 20, 500)  # repeats too: then the earlier position first
    expected = np.lexsort((event_id, runaway, person))
    assert (_event_order(person, runaway, event_id)[0] == expected).all()


def test_an_episode_ending_on_the_last_day_pandas_holds_still_matches():
    # 2262-04-11 + 7 days is past datetime64[ns]'s range: the range end is held there, not wrapped around.
    result = assigned([("M1", 1, "2025-01-10", "X")], [(10, 1, "2025-01-05", "2262-04-11")])
    assert result == {"M1": 10}


def test_each_entry_finds_its_persons_events_that_ran_away_by_its_day():
    import numpy as np

    from dps_assets.core.reconciliation.matching import _event_order

    day = 86_400 * 10**9
    person = np.array([7, 5, 5, 9, 5], dtype=np.int64)
    runaway = (np.array([3, 1, 4, 2, 1], dtype=np.int64) + 20_000) * day  # days of 2024
    by_event, person_day = _event_order(person, runaway, np.array([1, 2, 3, 4, 5]))
    assert by_event.tolist() == [1, 4, 2, 0, 3]  # person 5 on days 1, 1, 4; 7 on day 3; 9 on day 2
    first_day = 20_000
    queries = [(5, first_day), (5, first_day + 3), (5, first_day + 9), (7, first_day + 2), (7, first_day + 3),
               (4, first_day + 9), (6, first_day + 9), (10, first_day + 9), (9, first_day - 99)]
    first, count = person_day.runs(np.array([p for p, _ in queries]), np.array([d for _, d in queries]))
    assert count.tolist() == [0, 2, 3, 0, 1, 0, 0, 0, 0]
    assert first[count > 0].tolist() == [0, 0, 3]


def test_entries_with_a_narrower_id_type_than_the_events_are_matched_all_the_same():
    import numpy as np

    # The events' least id, 2**40, would wrap round to 0 in the entries' int32.
    event_frame = events((10, 2**40, "2025-01-09", "2025-01-12"), (11, 2**40 + 7, "2025-01-08", None))
    entry_frame = entries(("M000000001", 7, "2025-01-10", "X"), ("M000000002", 0, "2025-01-10", "X"))
    narrow = match_entries(entry_frame.astype({"DFPS_PERSON_ID": np.int32}), event_frame, *WINDOW, 7)
    assert narrow.assignments.empty and len(narrow.unassigned_entries) == 2
    wide = match_entries(entries(("M000000003", 2**40 + 7, "2025-01-10", "X")), event_frame, *WINDOW, 7)
    assert wide.assignments["RUNAWAY_EVENT_ID"].tolist() == [11]
