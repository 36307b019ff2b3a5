"""The synthetic agency data: no date after the last day (except deliberately wrong dates of
birth), volumes that follow the scale, the intended dirt, plausible runaway events, and the same
frames for the same seed whether generated in memory or read back from the warehouse file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from dps_assets.embedded.synthetic.agency_data import generate_agency_data
from dps_assets.embedded.synthetic.tcic_entries import generate_tcic_entries
from dps_assets.embedded.warehouse import WAREHOUSE_FILE
from dps_assets.embedded.warehouse_catalogue import read_agency_data
from dps_assets_tests.support.embedded_files import FIRST_FY, LAST_DAY, SCALE, SEED, query_warehouse, sa_98, tcic_table


def test_no_date_after_last_day_except_wrong_dobs(warehouse_folder: Path) -> None:
    _, latest = query_warehouse(
        warehouse_folder,
        """select (select max(cvs_start) from caps.cvs_episode),
                  (select max(cvs_end) from caps.cvs_episode),
                  (select max(runaway_date) from caps.runaway_event),
                  (select max(return_date) from caps.runaway_event)""",
    )
    assert all(value <= LAST_DAY for value in latest.iloc[0])
    entries = tcic_table(warehouse_folder, "missing_person_entry")
    for column in ("entry_date", "missing_date", "clear_date"):
        assert entries[column].max() <= pd.Timestamp(LAST_DAY)


def test_volumes_scale(warehouse_folder: Path) -> None:
    data = read_agency_data(warehouse_folder / WAREHOUSE_FILE)
    assert data.fiscal_years == [2024, 2025]
    fy2024 = sa_98(warehouse_folder, date(2023, 9, 1), date(2024, 8, 31))
    assert len(fy2024) == round(3000 * SCALE)
    _, children = query_warehouse(
        warehouse_folder,
        """select count(distinct person_id) n from caps.cvs_episode
           where cvs_start <= date '2024-08-31' and (cvs_end is null or cvs_end >= '2023-09-01')""",
    )
    assert 0.85 * 60_000 * SCALE < children["n"].iloc[0] < 1.15 * 60_000 * SCALE


def test_dirt_is_present(warehouse_folder: Path) -> None:
    data = read_agency_data(warehouse_folder / WAREHOUSE_FILE)
    person, episode = data.person, data.cvs_episode
    assert person["dob"].isna().any()
    assert (person["dob"] > pd.Timestamp(LAST_DAY)).any()
    assert (person["middle_name"].isna().mean()) > 0.5
    sex = set(person["sex"].dropna())
    assert sex - {"M", "F"}  # mixed case / spelled out / padded / X
    assert any(s != s.strip() for s in sex) and any(s != s.upper() for s in sex)
    race = set(person["race"].dropna())
    assert any(r != r.strip().upper() for r in race)
    assert person["sex"].isna().any() and person["race"].isna().any()
    names = pd.concat([person["first_name"], person["last_name"]]).dropna()
    assert names.str.contains(r"[À-ỹ]").any()  # accents
    assert names.str.contains("'").any() and names.str.contains("-").any()
    assert names.str.contains("  ").any()
    junk = names[~names.str.contains(r"[A-Za-zÀ-ỹ]")]
    assert len(junk) > 0  # empty after cleaning ('--', '???', '')
    per_person = episode.groupby("person_id").size()
    assert (per_person > 1).mean() > 0.03  # re-entries
    assert episode.duplicated(["person_id", "cvs_start"]).any()  # ties in cvs_start


def test_runaway_events_are_plausible(warehouse_folder: Path) -> None:
    data = read_agency_data(warehouse_folder / WAREHOUSE_FILE)
    events = data.runaway_event
    returned = events["return_date"].notna()
    days = (events.loc[returned, "return_date"] - events.loc[returned, "runaway_date"]).dt.days
    assert days.between(1, 60).all()
    assert 0.02 < (~returned).mean() < 0.25
    assert events["person_id"].isin(data.person["person_id"]).all()
    assert events["person_id"].duplicated().any()  # a child can run more than once
    dob = events["person_id"].map(data.person.set_index("person_id")["dob"])
    age = (events["runaway_date"] - dob).dt.days / 365.25
    known = age.between(0, 30)
    assert (age[known].between(10, 18)).mean() > 0.95
    assert (age[known].between(12, 18)).mean() > 0.9


def test_generation_is_deterministic(warehouse_folder: Path) -> None:
    first = generate_agency_data(SEED, FIRST_FY, LAST_DAY, SCALE)
    second = generate_agency_data(SEED, FIRST_FY, LAST_DAY, SCALE)
    stored = read_agency_data(warehouse_folder / WAREHOUSE_FILE)
    for table in ("person", "cvs_episode", "runaway_event", "cnty_reg_tableau"):
        pd.testing.assert_frame_equal(getattr(first, table), getattr(second, table))
        pd.testing.assert_frame_equal(getattr(first, table), getattr(stored, table))
    other = generate_agency_data(SEED + 1, FIRST_FY, LAST_DAY, SCALE)
    assert not first.person["person_id"].equals(other.person["person_id"])

    # The TCIC store is the same whether derived in memory or from the warehouse file.
    in_memory = generate_tcic_entries(first)
    from_file = generate_tcic_entries(stored)
    pd.testing.assert_frame_equal(in_memory.missing_person_entry, from_file.missing_person_entry)
    pd.testing.assert_frame_equal(in_memory.discrepancy, from_file.discrepancy)
    written = tcic_table(warehouse_folder, "missing_person_entry")
    assert written["nic"].tolist() == in_memory.missing_person_entry["nic"].tolist()
