"""Spec §5 (regions) and §7 (the three reports) clause by clause."""

import pandas as pd
import pytest

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.impact.regions import build_region_lookup, region_sort_key, regions_of, unmapped_counties
from dps_assets.core.reconciliation.matching import match_entries
from dps_assets.core.reconciliation.reports import (
    DPS_NOT_IN_IMPACT_COLUMNS,
    IMPACT_NOT_IN_DPS_COLUMNS,
    dps_not_in_impact,
    dps_total_runaway_events,
    impact_not_in_dps,
)

Q3 = FiscalQuarter(2025, 3)  # window 2024-09-01 .. 2025-05-31


def lookup():
    return build_region_lookup(pd.DataFrame({
        "cnty_name": ["Travis", "Bexar", "DeWitt County", "Harris", "El Paso", "Hidalgo", "Lubbock"],
        "region": ["7", "8", "8", "6", "10", "11", "1"],
    }))


def sa_98(*rows):
    columns = ["PERSON_ID", "RUNAWAY_EVENT_ID", "FIRST_NAME", "LAST_NAME", "DOB", "SEX", "RACE",
               "CNTY_NAME", "RUNAWAY_DATE", "RETURN_DATE", "LIVING_ARRANGEMENT"]
    frame = pd.DataFrame(
        [(p, e, "F", "L", "2010-01-01", "M", "W", c, r, ret, "Foster Home") for p, e, c, r, ret in rows],
        columns=columns)
    for column in ("DOB", "RUNAWAY_DATE", "RETURN_DATE"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def results(*rows):
    frame = pd.DataFrame(
        [(p, nic, "L", "F", "2010-01-01", "M", "W", "EMJ", "TX0000000", county, missing, missing, None)
         for nic, p, missing, county in rows],
        columns=["DFPS_PERSON_ID", "NIC", "LAST_NAME", "FIRST_NAME", "DOB", "SEX", "RACE", "MKE", "ORI",
                 "AGENCY_COUNTY", "ENTRY_DATE", "MISSING_DATE", "CLEAR_DATE"])
    for column in ("DOB", "ENTRY_DATE", "MISSING_DATE", "CLEAR_DATE"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def build(events, entries, quarter=Q3):
    match = match_entries(entries, events, quarter.window_start, quarter.window_end, 7)
    table = lookup()
    return (impact_not_in_dps(events, match, table, quarter), dps_not_in_impact(match, table),
            dps_total_runaway_events(match, table, quarter))


def test_region_lookup_normalises_county_names():
    table = lookup()
    names = pd.Series(["De Witt", "DEWITT", "dewitt county", "travis", "Out of State", None])
    assert regions_of(names, table).tolist() == [8, 8, 8, 7, "UNKNOWN", "UNKNOWN"]
    assert unmapped_counties(names, table) == ["(blank)", "Out of State"]


def test_region_lookup_refuses_a_county_in_two_regions():
    with pytest.raises(ValueError, match="DEWITT"):
        build_region_lookup(pd.DataFrame({"CNTY_NAME": ["De Witt", "DEWITT"], "REGION": ["8", "7"]}))


def test_natural_region_order():
    regions = ["11", "UNKNOWN", "2", "10", "1", "STATEWIDE", "3", "6b", "6a"]
    assert sorted(regions, key=region_sort_key) == [
        "1", "2", "3", "6a", "6b", "10", "11", "UNKNOWN", "STATEWIDE"]


def test_impact_not_in_dps():
    events = sa_98(
        (1, 10, "Travis", "2025-01-05", "2025-01-20"),   # reported: M1 matches
        (2, 20, "Bexar", "2025-03-02", None),            # not reported
        (3, 30, "Lubbock", "2024-10-01", "2024-10-03"),  # not reported, region 1 sorts first
        (4, 40, "Travis", "2025-06-10", None),           # after the window: not in this report
        (5, 50, "Nowhere", "2024-12-01", "2024-12-02"),  # unmapped county -> UNKNOWN, last
    )
    report, _, _ = build(events, results(("M000000001", 1, "2025-01-07", "Travis")))
    assert list(report.columns) == list(IMPACT_NOT_IN_DPS_COLUMNS)
    assert report["RUNAWAY_EVENT_ID"].tolist() == [30, 20, 50]
    assert report["REGION"].tolist() == [1, 8, "UNKNOWN"]
    assert report["FISCAL_QUARTER"].tolist() == ["FY2025-Q1", "FY2025-Q3", "FY2025-Q2"]


def test_impact_not_in_dps_sort_within_a_region():
    events = sa_98(
        (9, 91, "Travis", "2025-02-01", None),
        (8, 82, "Travis", "2025-01-01", None),
        (8, 81, "Travis", "2025-01-01", None),
        (7, 70, "Travis", "2025-01-01", None),
    )
    report, _, _ = build(events, results())
    assert report["RUNAWAY_EVENT_ID"].tolist() == [70, 81, 82, 91]


def test_dps_not_in_impact():
    events = sa_98((1, 10, "Travis", "2025-01-05", "2025-01-20"))
    entries = results(
        ("M000000001", 1, "2025-01-07", "Travis"),  # assigned
        ("M000000005", 2, "2025-02-01", "Harris"),   # no event: region 6
        ("M000000004", 2, "2025-02-01", "Caddo Parish"),  # no event: UNKNOWN
        ("M000000003", 1, "2025-04-01", "Travis"),   # same person, far from the episode
        ("M000000002", 3, "2024-08-01", "Travis"),   # outside the window: not listed
    )
    _, report, _ = build(events, entries)
    assert list(report.columns) == list(DPS_NOT_IN_IMPACT_COLUMNS)
    assert report["NIC"].tolist() == ["M000000005", "M000000003", "M000000004"]
    assert report["REGION"].tolist() == [6, 7, "UNKNOWN"]
    assert report["FISCAL_QUARTER"].tolist() == ["FY2025-Q2", "FY2025-Q3", "FY2025-Q2"]


def test_totals_count_distinct_person_and_missing_date_in_the_smallest_nic_region():
    entries = results(
        ("M000000002", 1, "2024-10-05", "Travis"),   # one event reported by two agencies:
        ("M000000001", 1, "2024-10-05", "Harris"),   # region from the smallest NIC -> Harris (6)
        ("M000000003", 1, "2025-01-10", "Travis"),   # same child, another date: another event, Q2
        ("M000000004", 2, "2025-03-10", "Nowhere"),  # UNKNOWN, Q3
        ("M000000005", 2, "2024-08-10", "Travis"),   # outside the window: not counted
    )
    _, _, totals = build(sa_98(), entries)
    assert list(totals.columns) == ["REGION", "FY2025-Q1", "FY2025-Q2", "FY2025-Q3", "FYTD_TOTAL"]
    assert totals["REGION"].tolist() == [1, 6, 7, 8, 10, 11, "UNKNOWN", "STATEWIDE"]
    rows = totals.set_index("REGION")
    assert rows.loc[6].tolist() == [1, 0, 0, 1]
    assert rows.loc[7].tolist() == [0, 1, 0, 1]
    assert rows.loc["UNKNOWN"].tolist() == [0, 0, 1, 1]
    assert rows.loc[8].tolist() == [0, 0, 0, 0]
    assert rows.loc["STATEWIDE"].tolist() == [1, 1, 1, 3]


def test_unknown_row_only_when_it_has_events():
    _, _, totals = build(sa_98(), results(("M000000001", 1, "2024-10-05", "Travis")))
    assert "UNKNOWN" not in totals["REGION"].tolist()


def test_q1_report_has_one_quarter_column():
    q1 = FiscalQuarter(2025, 1)
    _, _, totals = build(sa_98(), results(("M000000001", 1, "2024-10-05", "Travis")), quarter=q1)
    assert list(totals.columns) == ["REGION", "FY2025-Q1", "FYTD_TOTAL"]


def test_an_empty_quarter_gives_empty_reports_and_zero_totals():
    impact, dps, totals = build(sa_98(), results())
    assert impact.empty and dps.empty
    assert list(impact.columns) == list(IMPACT_NOT_IN_DPS_COLUMNS)
    assert totals["FYTD_TOTAL"].sum() == 0
    assert totals["REGION"].tolist()[-1] == "STATEWIDE"


def test_the_reports_sort_is_pandas_stable_sort_with_missing_values_last():
    import numpy as np

    from dps_assets.core.reconciliation.reports import _sort_codes

    rng = np.random.default_rng(3)
    n = 2_000
    frame = pd.DataFrame({
        "REGION": rng.choice(np.array([1, 2, 10, 11, "UNKNOWN"], dtype=object), n),
        "DAY": pd.to_datetime(rng.integers(0, 40, n), unit="D").where(rng.random(n) > 0.1),
        "ID": pd.Series(rng.integers(0, 30, n), dtype="Int64").where(rng.random(n) > 0.1),
        "NIC": pd.Series(rng.choice(["M3", "M10", "M2", None], n), dtype="object"),
    })
    columns = ["REGION", "DAY", "ID", "NIC"]
    ours = frame.take(np.lexsort([_sort_codes(frame[c]) for c in reversed(columns)]))
    rank = {1: 0, 2: 1, 10: 2, 11: 3, "UNKNOWN": 4}
    pandas = frame.sort_values(columns, key=lambda s: s.map(rank) if s.name == "REGION" else s,
                               kind="stable", na_position="last")
    assert ours.index.tolist() == pandas.index.tolist()


@pytest.mark.parametrize("spans", [(5, 40, 30), (5, 2**40, 2**40)])  # one packed key; too wide: the lexsort
def test_the_reports_order_is_a_lexsort_of_their_sort_codes(spans):
    import numpy as np

    from dps_assets.core.reconciliation.reports import _stable_order

    rng = np.random.default_rng(4)
    keys = [rng.integers(-span, span, 3_000) for span in spans]
    assert (_stable_order(keys) == np.lexsort(keys[::-1])).all()
    assert _stable_order([np.zeros(0, dtype="int64")]).tolist() == []


def test_the_totals_are_pandas_distinct_events_grouped_by_region_and_quarter_on_random_data():
    import numpy as np

    rng = np.random.default_rng(5)
    counties = np.array(["Travis", "TRAVIS COUNTY", "Harris", "Nowhere", None, "El Paso"], dtype=object)
    days = pd.Timestamp("2024-08-20") + pd.to_timedelta(rng.integers(0, 290, 600), unit="D")
    entries = results(*((f"M{i:09d}", int(rng.integers(1, 40)), day.date().isoformat(), counties[rng.integers(6)])
                        for i, day in enumerate(days)))
    entries = entries.sample(frac=1, random_state=1)  # not in NIC order
    match = match_entries(entries, sa_98(), Q3.window_start, Q3.window_end, 7)
    totals = dps_total_runaway_events(match, lookup(), Q3).set_index("REGION")

    events = match.entries_in_window.sort_values("NIC").drop_duplicates(["DFPS_PERSON_ID", "MISSING_DATE"])
    expected = pd.crosstab(regions_of(events["AGENCY_COUNTY"], lookup()).to_numpy(),
                           events["MISSING_DATE"].map(lambda d: FiscalQuarter.containing(d.date()).label).to_numpy())
    for region, row in expected.iterrows():
        assert totals.loc[region, list(row.index)].tolist() == row.tolist()
    assert totals.loc["STATEWIDE", "FYTD_TOTAL"] == len(events) == expected.to_numpy().sum()


def test_unassigned_entries_of_one_region_and_day_are_listed_by_nic_whatever_the_files_order():
    rows = [("M000000001", 5, "2025-02-01", "Travis"), ("M000000002", 4, "2025-02-01", "Travis"),
            ("M000000003", 3, "2025-01-01", "Travis"), ("M000000004", 2, "2025-02-01", "Harris"),
            ("M000000005", 1, "2025-02-01", "Travis")]
    in_nic_order, shuffled = build(sa_98(), results(*rows))[1], build(sa_98(), results(*rows[::-1]))[1]
    assert in_nic_order["NIC"].tolist() == ["M000000004", "M000000003", "M000000001", "M000000002", "M000000005"]
    pd.testing.assert_frame_equal(in_nic_order, shuffled)


@pytest.mark.parametrize("nic", ["M{:09d}", "DPS-{:05d}"])  # NICs by their numbers; any other text by itself
def test_the_reports_are_the_same_whether_the_entries_come_in_nic_order_or_not(nic):
    # A person's entries of one day in several counties: the totals place the event by the
    # smallest NIC's county, wherever that entry is in the file.
    import numpy as np

    rng = np.random.default_rng(8)
    counties = np.array(["Travis", "Harris", "Nowhere", "El Paso", "Bexar"], dtype=object)
    days = pd.Timestamp("2024-08-25") + pd.to_timedelta(rng.integers(0, 60, 2_000), unit="D")
    rows = [(nic.format(n), int(rng.integers(1, 30)), day.date().isoformat(), counties[rng.integers(5)])
            for n, day in zip(rng.choice(99_999, 2_000, replace=False), days, strict=True)]
    events = sa_98(*((p, 100 + p, "Travis", "2024-09-20", None) for p in range(1, 30, 2)))
    in_order = build(events, results(*sorted(rows)))
    for seed in range(3):
        shuffled = build(events, results(*(rows[i] for i in np.random.default_rng(seed).permutation(len(rows)))))
        for ours, expected in zip(shuffled, in_order, strict=True):
            pd.testing.assert_frame_equal(ours, expected)
    assert in_order[2]["FYTD_TOTAL"].iloc[-1] < len(rows)  # some events have several entries
