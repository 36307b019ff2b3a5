from datetime import date
from itertools import pairwise

import pytest

from dps_assets.core.exchange.quarters import (
    FiscalQuarter,
    closed_quarters,
    first_quarter_problem,
    quarter_label_of,
    quarters_before,
    quarters_missing,
)

GO_LIVE = FiscalQuarter(2026, 1)


@pytest.mark.parametrize(
    "day, label",
    [
        (date(2024, 8, 31), "FY2024-Q4"),
        (date(2024, 9, 1), "FY2025-Q1"),
        (date(2024, 11, 30), "FY2025-Q1"),
        (date(2024, 12, 1), "FY2025-Q2"),
        (date(2024, 12, 31), "FY2025-Q2"),
        (date(2025, 1, 1), "FY2025-Q2"),  # Q2 crosses the calendar year
        (date(2025, 2, 28), "FY2025-Q2"),
        (date(2024, 2, 29), "FY2024-Q2"),  # leap day
        (date(2025, 3, 1), "FY2025-Q3"),
        (date(2025, 5, 31), "FY2025-Q3"),
        (date(2025, 6, 1), "FY2025-Q4"),
        (date(2025, 8, 31), "FY2025-Q4"),
    ],
)
def test_quarter_containing_a_day(day, label):
    assert FiscalQuarter.containing(day).label == label
    assert quarter_label_of(day) == label


@pytest.mark.parametrize(
    "label, start, end",
    [
        ("FY2025-Q1", date(2024, 9, 1), date(2024, 11, 30)),
        ("FY2025-Q2", date(2024, 12, 1), date(2025, 2, 28)),
        ("FY2024-Q2", date(2023, 12, 1), date(2024, 2, 29)),  # ends on a leap day
        ("FY2025-Q3", date(2025, 3, 1), date(2025, 5, 31)),
        ("FY2025-Q4", date(2025, 6, 1), date(2025, 8, 31)),
    ],
)
def test_quarter_bounds(label, start, end):
    quarter = FiscalQuarter.from_label(label)
    assert (quarter.start, quarter.end) == (start, end)


def test_window_is_fiscal_year_to_date():
    q3 = FiscalQuarter(2025, 3)
    assert (q3.window_start, q3.window_end) == (date(2024, 9, 1), date(2025, 5, 31))
    assert (q3.fiscal_year_start, q3.fiscal_year_end) == (date(2024, 9, 1), date(2025, 8, 31))
    assert q3.window_contains(date(2024, 9, 1)) and q3.window_contains(date(2025, 5, 31))
    assert not q3.window_contains(date(2024, 8, 31)) and not q3.window_contains(date(2025, 6, 1))


def test_names_round_trip():
    quarter = FiscalQuarter(2025, 2)
    assert quarter.partition_key == "FY2025-Q2"  # analysts pick and file quarters by this name
    assert quarter.label == "FY2025-Q2"
    assert quarter.tag == "FY2025_Q2"
    assert FiscalQuarter.from_partition_key("FY2025-Q2") == quarter
    assert FiscalQuarter.from_label("FY2025_Q2") == quarter
    assert FiscalQuarter.from_label("fy2025-q2") == quarter


@pytest.mark.parametrize("bad", ["2024-12-01", "FY2025_Q1", "fy2025-q1", " FY2025-Q1", "FY2025-Q5", "", "FY25-Q1"])
def test_a_partition_key_has_one_spelling(bad):
    with pytest.raises(ValueError):
        FiscalQuarter.from_partition_key(bad)


@pytest.mark.parametrize("old_or_odd", ["2024-12-01", None, "", "FY2025_Q1"])
def test_keys_from_before_labels_are_passed_over_by_readers(old_or_odd):
    assert FiscalQuarter.from_partition_key_or_none(old_or_odd) is None
    assert FiscalQuarter.from_partition_key_or_none("FY2025-Q1") == FiscalQuarter(2025, 1)


@pytest.mark.parametrize("bad", ["FY2025-Q5", "FY25-Q1", "2025Q1", "FY2025"])
def test_bad_labels_are_refused(bad):
    with pytest.raises(ValueError):
        FiscalQuarter.from_label(bad)


def test_neighbours_and_quarters_to_date():
    assert FiscalQuarter(2025, 1).previous() == FiscalQuarter(2024, 4)
    assert FiscalQuarter(2024, 4).next() == FiscalQuarter(2025, 1)
    assert [q.label for q in FiscalQuarter(2025, 3).quarters_to_date()] == [
        "FY2025-Q1", "FY2025-Q2", "FY2025-Q3"]



@pytest.mark.parametrize("label, year_earlier", [
    ("FY2027-Q1", "FY2026-Q1"),  # not FY2026-Q4, the quarter before it
    ("FY2026-Q4", "FY2025-Q4"),
    ("FY2025-Q2", "FY2024-Q2"),  # FY2024-Q2 ends on a leap day
])
def test_the_same_quarter_a_year_earlier_has_a_window_as_long(label, year_earlier):
    quarter = FiscalQuarter.from_label(label)
    earlier = quarter.a_year_earlier()
    assert earlier.label == year_earlier
    assert (earlier.window_start.month, earlier.window_end.month) == (quarter.window_start.month,
                                                                      quarter.window_end.month)
    assert quarter.window_start.year - earlier.window_start.year == 1


@pytest.mark.parametrize(
    "today, label",
    [
        (date(2026, 11, 22), "FY2026-Q4"),
        (date(2026, 12, 1), "FY2027-Q1"),
        (date(2026, 11, 30), "FY2026-Q4"),
        (date(2025, 3, 1), "FY2025-Q2"),
    ],
)
def test_latest_closed_quarter(today, label):
    assert FiscalQuarter.latest_closed(today).label == label


def test_the_partitions_are_the_closed_quarters_from_go_live_in_order():
    keys = [q.partition_key for q in closed_quarters(GO_LIVE, date(2026, 11, 22))]
    assert keys == ["FY2026-Q1", "FY2026-Q2", "FY2026-Q3", "FY2026-Q4"]
    quarters = closed_quarters(FiscalQuarter(2020, 1), date(2026, 11, 22))
    assert quarters[0] == FiscalQuarter(2020, 1) and quarters[-1].label == "FY2026-Q4" and len(quarters) == 7 * 4
    assert all(a.next() == b for a, b in pairwise(quarters))  # no gaps, no repeats


def test_the_list_is_empty_until_the_first_quarter_closes():
    assert closed_quarters(GO_LIVE, date(2025, 11, 30)) == []  # its last day
    assert closed_quarters(GO_LIVE, date(2025, 12, 1)) == [GO_LIVE]  # the day after, in Central time
    assert closed_quarters(GO_LIVE, date(2024, 1, 1)) == []  # years before


def test_a_quarter_becomes_a_partition_the_day_after_it_ends():
    listed = [q.partition_key for q in closed_quarters(GO_LIVE, date(2026, 11, 30))]
    assert quarters_missing(listed, GO_LIVE, date(2026, 11, 30)) == []
    assert quarters_missing(listed, GO_LIVE, date(2026, 12, 1)) == [FiscalQuarter(2027, 1)]
    assert quarters_missing([], GO_LIVE, date(2025, 11, 30)) == []  # before the first quarter closed
    assert quarters_missing(["FY2026-Q2"], GO_LIVE, date(2026, 3, 1)) == [GO_LIVE]


def test_quarters_before_go_live_are_the_listed_quarter_labels_older_than_it():
    listed = ["FY2025-Q4", "FY2020-Q1", "FY2026-Q1", "FY2026-Q2", "2024-09-01", "Q3 by hand", "FY2025_Q3"]
    # Keys that are no quarter's label (old first days, keys added by hand, a file tag) are not quarters.
    assert quarters_before(listed, GO_LIVE) == [FiscalQuarter(2020, 1), FiscalQuarter(2025, 4)]
    assert quarters_before(listed, FiscalQuarter(2020, 1)) == []


@pytest.mark.parametrize("first, today, refused", [
    (FiscalQuarter(2026, 1), date(2026, 11, 22), False),  # closed
    (FiscalQuarter(2020, 1), date(2026, 11, 22), False),
    (FiscalQuarter(2027, 1), date(2026, 11, 22), False),  # the quarter under way: listed once it closes
    (FiscalQuarter(2027, 1), date(2026, 9, 1), False),    # from its first day
    (FiscalQuarter(2027, 1), date(2026, 8, 31), True),    # not before
    (FiscalQuarter(2072, 1), date(2026, 11, 22), True),   # a typo
])
def test_the_first_quarter_is_a_closed_one_or_the_current_one(first, today, refused):
    problem = first_quarter_problem(first, today)
    assert (problem is not None) == refused
    if refused:
        assert problem.startswith("is a quarter that has not begun (the current one is FY20")


