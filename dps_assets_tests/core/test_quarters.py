from datetime import date

import pytest

from dps_assets.assets.partitions import fiscal_quarter_partitions
from dps_assets.core.quarters import FiscalQuarter, quarter_label_of


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
    assert quarter.partition_key == "2024-12-01"
    assert quarter.label == "FY2025-Q2"
    assert quarter.tag == "FY2025_Q2"
    assert FiscalQuarter.from_partition_key("2024-12-01") == quarter
    assert FiscalQuarter.from_label("FY2025_Q2") == quarter
    assert FiscalQuarter.from_label("fy2025-q2") == quarter


@pytest.mark.parametrize("bad", ["2024-12-02", "2024-10-01", "FY2025-Q1", "", "2024-13-01"])
def test_bad_partition_keys_are_refused(bad):
    with pytest.raises(ValueError):
        FiscalQuarter.from_partition_key(bad)


@pytest.mark.parametrize("bad", ["FY2025-Q5", "FY25-Q1", "2025Q1", "FY2025"])
def test_bad_labels_are_refused(bad):
    with pytest.raises(ValueError):
        FiscalQuarter.from_label(bad)


def test_neighbours_and_quarters_to_date():
    assert FiscalQuarter(2025, 1).previous() == FiscalQuarter(2024, 4)
    assert FiscalQuarter(2024, 4).next() == FiscalQuarter(2025, 1)
    assert [q.label for q in FiscalQuarter(2025, 3).quarters_to_date()] == [
        "FY2025-Q1", "FY2025-Q2", "FY2025-Q3"]


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


def test_partitions_are_exactly_the_fiscal_quarters():
    keys = fiscal_quarter_partitions.get_partition_keys()
    assert keys[0] == "2019-09-01"
    assert keys[:5] == ["2019-09-01", "2019-12-01", "2020-03-01", "2020-06-01", "2020-09-01"]
    for key in keys:
        quarter = FiscalQuarter.from_partition_key(key)
        window = fiscal_quarter_partitions.time_window_for_partition_key(key)
        assert window.start.date() == quarter.start
        assert (window.end.date() - quarter.end).days == 1
    # Consecutive keys are consecutive quarters: no gaps, no overlaps.
    quarters = [FiscalQuarter.from_partition_key(k) for k in keys]
    assert all(a.next() == b for a, b in zip(quarters, quarters[1:]))
