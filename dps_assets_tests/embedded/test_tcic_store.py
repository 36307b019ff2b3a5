"""DPS's synthetic TCIC store: DPS's layout and codes, and every discrepancy kind present and as
recorded (reported entries near their event, multi-agency entries of one child, unmatched entries
far from any event, unmapped agency counties)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dps_assets.embedded.synthetic.counties import TEXAS_COUNTIES, county_key
from dps_assets.embedded.synthetic.tcic_entries import DISCREPANCY_KINDS
from dps_assets.embedded.warehouse import WAREHOUSE_FILE
from dps_assets.embedded.warehouse_catalogue import read_agency_data
from dps_assets_tests.support.embedded_files import LAST_DAY, tcic_table


def test_tcic_layout_and_codes(warehouse_folder: Path) -> None:
    entries = tcic_table(warehouse_folder, "missing_person_entry")
    assert list(entries.columns) == [
        "nic", "dfps_person_id", "last_name", "first_name", "dob", "sex", "race", "mke", "ori",
        "agency_county", "entry_date", "missing_date", "clear_date",
    ]
    assert entries["nic"].is_unique
    assert entries["nic"].str.fullmatch(r"M\d{9}").all()
    assert entries["ori"].str.fullmatch(r"TX\d{7}").all()
    assert set(entries["mke"]) <= {"EMJ", "EME", "EMI", "EMD", "EMV", "EMO"}
    assert (entries["mke"] == "EMJ").mean() > 0.5
    assert set(entries["sex"]) <= {"M", "F"}
    assert set(entries["race"]) <= {"W", "B", "I", "A", "U"}
    assert entries["dob"].notna().all()
    for column in ("last_name", "first_name"):
        assert entries[column].str.fullmatch(r"[A-Z][A-Z '\-]*").all()
    assert (entries["entry_date"] >= entries["missing_date"]).all()
    cleared = entries["clear_date"].notna()
    assert (entries.loc[cleared, "clear_date"] >= entries.loc[cleared, "missing_date"]).all()


def test_every_discrepancy_kind_is_present(warehouse_folder: Path) -> None:
    discrepancy = tcic_table(warehouse_folder, "discrepancy")
    entries = tcic_table(warehouse_folder, "missing_person_entry")
    assert set(discrepancy["kind"]) == set(DISCREPANCY_KINDS)
    not_reported = discrepancy[discrepancy["kind"] == "not_reported"]
    assert not_reported["nic"].isna().all()
    assert set(discrepancy["nic"].dropna()) == set(entries["nic"])
    events = read_agency_data(warehouse_folder / WAREHOUSE_FILE).runaway_event
    recorded = discrepancy[discrepancy["kind"].isin(["reported", "not_reported"])]
    assert recorded["runaway_event_id"].is_unique
    assert set(recorded["runaway_event_id"]) == set(events["runaway_event_id"])
    assert 0.75 < (discrepancy["kind"] == "reported").sum() / len(events) < 0.95


def test_reported_entries_are_near_their_event(warehouse_folder: Path) -> None:
    discrepancy = tcic_table(warehouse_folder, "discrepancy")
    entries = tcic_table(warehouse_folder, "missing_person_entry").set_index("nic")
    events = read_agency_data(warehouse_folder / WAREHOUSE_FILE).runaway_event
    events = events.set_index("runaway_event_id")
    for kind in ("reported", "multi_agency"):
        rows = discrepancy[discrepancy["kind"] == kind]
        missing = entries.loc[rows["nic"], "missing_date"].to_numpy()
        runaway = events.loc[rows["runaway_event_id"], "runaway_date"].to_numpy()
        assert (abs(pd.Series(missing - runaway).dt.days) <= 7).all()
        person = entries.loc[rows["nic"], "dfps_person_id"].to_numpy()
        assert (person == events.loc[rows["runaway_event_id"], "person_id"].to_numpy()).all()


def test_multi_agency_entries_share_person_and_missing_date(warehouse_folder: Path) -> None:
    discrepancy = tcic_table(warehouse_folder, "discrepancy")
    entries = tcic_table(warehouse_folder, "missing_person_entry").set_index("nic")
    by_event = discrepancy[discrepancy["kind"].isin(["reported", "multi_agency"])]
    multi_events = by_event.loc[by_event["kind"] == "multi_agency", "runaway_event_id"].unique()
    for event_id in multi_events:
        nics = by_event.loc[by_event["runaway_event_id"] == event_id, "nic"]
        group = entries.loc[nics]
        assert 2 <= len(group) <= 3
        assert group["dfps_person_id"].nunique() == 1 and group["missing_date"].nunique() == 1
        assert group["agency_county"].nunique() > 1


def test_unmatched_entries_are_far_from_any_event(warehouse_folder: Path) -> None:
    discrepancy = tcic_table(warehouse_folder, "discrepancy")
    entries = tcic_table(warehouse_folder, "missing_person_entry").set_index("nic")
    events = read_agency_data(warehouse_folder / WAREHOUSE_FILE).runaway_event
    end = events["return_date"].fillna(pd.Timestamp(LAST_DAY))
    for kind in ("no_impact_event", "outside_window"):
        rows = discrepancy[discrepancy["kind"] == kind]
        assert rows["runaway_event_id"].isna().all()
        for nic in rows["nic"]:
            entry = entries.loc[nic]
            mine = events["person_id"] == entry["dfps_person_id"]
            gap = pd.concat(
                [(events.loc[mine, "runaway_date"] - entry["missing_date"]).dt.days,
                 (entry["missing_date"] - end[mine]).dt.days], axis=1
            ).max(axis=1)
            assert (gap > 30).all()
    outside = entries.loc[discrepancy.loc[discrepancy["kind"] == "outside_window", "nic"]]
    fy_start = outside["missing_date"].map(
        lambda d: pd.Timestamp(d.year if d.month < 9 else d.year + 1, 9, 1)
    )
    assert ((fy_start - outside["missing_date"]).dt.days.between(30, 92)).all()


def test_unmapped_counties_are_not_in_the_lookup(warehouse_folder: Path) -> None:
    discrepancy = tcic_table(warehouse_folder, "discrepancy")
    entries = tcic_table(warehouse_folder, "missing_person_entry").set_index("nic")
    unmapped = entries.loc[discrepancy.loc[discrepancy["kind"] == "unmapped_county", "nic"]]
    keys = {county_key(c) for c in TEXAS_COUNTIES}
    assert len(unmapped) > 0
    assert not unmapped["agency_county"].map(county_key).isin(keys).any()
    mapped = entries.drop(index=unmapped.index)
    assert mapped["agency_county"].map(county_key).isin(keys).all()
