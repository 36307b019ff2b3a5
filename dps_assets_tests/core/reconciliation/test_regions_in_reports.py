"""Spec §7's new text on the report frames: REGION is a number where it is one, in natural order
with UNKNOWN last; the county columns show the lookup's spelling (the source's value tidied where
the lookup lacks it); and the per-county and per-date work is done once per distinct value."""

import pandas as pd

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.impact import regions
from dps_assets.core.impact.regions import build_region_lookup, county_regions, region_value, sort_regions, tidy_county
from dps_assets.core.reconciliation.matching import match_entries
from dps_assets.core.reconciliation.reports import dps_not_in_impact, dps_total_runaway_events, impact_not_in_dps
from dps_assets_tests.core.reconciliation.test_reports import Q3, results, sa_98

# Eleven numbered regions (Excel sorted the old text 1, 10, 11, 2) and one that is not a number.
COUNTIES = {"Lubbock": "1", "Tarrant": "3", "Smith": "4", "Jefferson": "5", "Harris": "6",
            "Travis": "7", "Bexar": "8", "Midland": "9", "El Paso": "10", "Hidalgo": "11",
            "Potter": "2", "Galveston": "6a"}


def lookup():
    return build_region_lookup(pd.DataFrame({"cnty_name": list(COUNTIES), "region": list(COUNTIES.values())}))


def build(events, entries):
    match = match_entries(entries, events, Q3.window_start, Q3.window_end, 7)
    table = lookup()
    return (impact_not_in_dps(events, match, table, Q3), dps_not_in_impact(match, table),
            dps_total_runaway_events(match, table, Q3))


def test_a_region_is_a_number_where_it_is_one():
    assert [region_value(r) for r in ["7", " 10 ", "6a", "UNKNOWN", "STATEWIDE", 11]] == [
        7, 10, "6a", "UNKNOWN", "STATEWIDE", 11]


def test_a_region_of_thousands_of_digits_or_other_digits_is_text_in_its_natural_place():
    # int() refuses text of over 4,300 digits, and "²" is a digit to str.isdigit() but not to int().
    huge, over = "9" * 5000, "1" + "0" * 15  # 16 digits: more than Excel shows exactly
    assert [region_value(r) for r in [huge, over, "²", "0" * 5000 + "7"]] == [huge, over, "²", 7]
    assert sort_regions(["UNKNOWN", huge, "R" + huge, "²", "10", over, "7", "R7"]) == [
        7, 10, over, huge, "R7", "R" + huge, "²", "UNKNOWN"]


def test_the_totals_list_every_region_as_a_number_in_natural_order_then_unknown_then_statewide():
    entries = results(("M000000001", 1, "2024-10-05", "Hidalgo"), ("M000000002", 2, "2024-10-06", "Nowhere"),
                      ("M000000003", 3, "2025-01-06", "Potter"), ("M000000004", 4, "2025-01-07", "Galveston"))
    _, _, totals = build(sa_98(), entries)
    assert totals["REGION"].tolist() == [1, 2, 3, 4, 5, 6, "6a", 7, 8, 9, 10, 11, "UNKNOWN", "STATEWIDE"]
    assert [type(r) for r in totals["REGION"]] == [int] * 6 + [str] + [int] * 5 + [str, str]
    rows = totals.set_index("REGION")
    assert rows.loc[11].tolist() == [1, 0, 0, 1] and rows.loc[2].tolist() == [0, 1, 0, 1]
    assert rows.loc["6a", "FYTD_TOTAL"] == 1 and rows.loc["STATEWIDE", "FYTD_TOTAL"] == 4


def test_the_list_reports_sort_numbered_regions_as_numbers_with_unknown_last():
    events = sa_98((1, 10, "Potter", "2025-01-05", None), (2, 20, "Hidalgo", "2025-01-05", None),
                   (3, 30, "Nowhere", "2025-01-05", None), (4, 40, "El Paso", "2025-01-05", None),
                   (5, 50, "Lubbock", "2025-01-05", None))
    entries = results(("M000000001", 9, "2025-01-05", "Hidalgo"), ("M000000002", 9, "2025-01-06", "Potter"),
                      ("M000000003", 9, "2025-01-07", "Nowhere"), ("M000000004", 9, "2025-01-08", "Travis"))
    impact, dps, _ = build(events, entries)
    assert impact["REGION"].tolist() == [1, 2, 10, 11, "UNKNOWN"]
    assert dps["REGION"].tolist() == [2, 7, 11, "UNKNOWN"]


def test_county_columns_show_the_lookups_spelling_or_the_source_value_tidied():
    events = sa_98((1, 10, "TRAVIS COUNTY", "2025-01-05", None), (2, 20, "travis-county", "2025-01-06", None),
                   (3, 30, "Travis", "2025-01-07", None), (4, 40, "  Caddo   Parish ", "2025-01-08", None),
                   (5, 50, None, "2025-01-09", None), (6, 60, "el  paso", "2025-01-10", None))
    entries = results(("M000000001", 9, "2025-01-05", "TRAVIS COUNTY"), ("M000000002", 9, "2025-01-06", "travis"),
                      ("M000000003", 9, "2025-01-07", " Out of\tState "))
    impact, dps, _ = build(events, entries)
    assert impact["CNTY_NAME"].tolist() == ["Travis", "Travis", "Travis", "El Paso", "Caddo Parish", None]
    assert impact["REGION"].tolist() == [7, 7, 7, 10, "UNKNOWN", "UNKNOWN"]
    assert dps["AGENCY_COUNTY"].tolist() == ["Travis", "Travis", "Out of State"]
    assert tidy_county("   ") is None and tidy_county(float("nan")) is None


def test_county_names_are_folded_once_per_distinct_name_and_dates_labelled_once_per_day(monkeypatch):
    table, folded, labelled = lookup(), [], []
    real_key, real_containing = regions.county_key, FiscalQuarter.containing.__func__
    monkeypatch.setattr(regions, "county_key", lambda name: folded.append(name) or real_key(name))
    monkeypatch.setattr(FiscalQuarter, "containing",
                        classmethod(lambda cls, day: labelled.append(day) or real_containing(cls, day)))
    counties = ["Travis", "travis-county", "Nowhere", None] * 500
    events = sa_98(*((i, i, counties[i], "2025-01-05" if i % 2 else "2025-02-05", None)
                     for i in range(len(counties))))
    match = match_entries(results(), events, Q3.window_start, Q3.window_end, 7)
    folded.clear(), labelled.clear()  # the report's own work from here
    impact = impact_not_in_dps(events, match, table, Q3)
    assert len(impact) == 2000
    assert len(folded) == 4  # Travis, travis-county, Nowhere, a missing name
    assert len(labelled) == 2  # two distinct runaway dates
    assert impact["CNTY_NAME"].value_counts().to_dict() == {"Travis": 1000, "Nowhere": 500}


def test_county_regions_keeps_the_index_of_its_rows():
    names = pd.Series(["Travis", None, "Bexar"], index=[10, 20, 30])
    placed = county_regions(names, lookup())
    assert placed.regions.to_dict() == {10: 7, 20: "UNKNOWN", 30: 8}
    assert placed.counties.to_dict() == {10: "Travis", 20: None, 30: "Bexar"}
