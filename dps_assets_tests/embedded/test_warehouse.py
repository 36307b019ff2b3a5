"""The synthetic warehouse (Oracle stand-in) and TCIC store: the pipeline's SQL runs on them
verbatim, the data carries the intended dirt, and the TCIC discrepancies are as recorded."""

from __future__ import annotations

import re
import stat
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dps_assets.embedded.synthetic import (
    DISCREPANCY_KINDS,
    TEXAS_COUNTIES,
    county_key,
    generate_agency_data,
    generate_tcic_entries,
)
from dps_assets.embedded.warehouse import (
    TCIC_FILE,
    WAREHOUSE_FILE,
    build_embedded_data,
    build_warehouse,
    main,
    read_agency_data,
)

SEED = 7
FIRST_FY = 2024
LAST_DAY = date(2025, 3, 15)  # part-way through FY2025
SCALE = 0.02

# The configuration's SQL, with DuckDB's bind syntax (`$name`) for Oracle's `:name`.
EXPORT_SQL = (
    "select p.person_id, p.first_name, p.middle_name, p.last_name, p.dob, p.sex, p.race, "
    "e.cnty_name, e.cvs_start, e.cvs_end from caps.person p join caps.cvs_episode e on "
    "e.person_id = p.person_id where e.cvs_start <= $window_end and (e.cvs_end is null or "
    "e.cvs_end >= $window_start) order by e.cvs_episode_id"
)
SA_98_SQL = "select * from caps.qtr_dps_cvs_pkg.get_sa_98($fy_start_dt, $fy_end_dt)"
LOOKUP_SQL = 'select cnty_name, sub_reg "region" from caps.cnty_reg_tableau'

SA_98_COLUMNS = [
    "PERSON_ID", "RUNAWAY_EVENT_ID", "FIRST_NAME", "LAST_NAME", "DOB", "SEX", "RACE",
    "CNTY_NAME", "RUNAWAY_DATE", "RETURN_DATE", "LIVING_ARRANGEMENT",
]
EXPORT_COLUMNS = [
    "person_id", "first_name", "middle_name", "last_name", "dob", "sex", "race", "cnty_name",
    "cvs_start", "cvs_end",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("embedded") / "data"
    build_embedded_data(out, seed=SEED, first_fiscal_year=FIRST_FY, last_day=LAST_DAY, scale=SCALE)
    return out


def _query(folder: Path, sql: str, binds: dict | None = None) -> tuple[list[str], pd.DataFrame]:
    """Run `sql` the way the pipeline's driver does: fresh connection, read-only attach."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{folder / WAREHOUSE_FILE}' as caps (read_only)")
        cursor = con.cursor()
        cursor.execute(sql, binds or {})
        columns = [d[0] for d in cursor.description]
        return columns, pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    finally:
        con.close()


def _tcic(folder: Path, table: str) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        con.execute(f"attach '{folder / TCIC_FILE}' as tcic (read_only)")
        return con.execute(f"select * from tcic.main.{table}").df()
    finally:
        con.close()


def _sa_98(folder: Path, start: date, end: date) -> pd.DataFrame:
    return _query(folder, SA_98_SQL, {"fy_start_dt": start, "fy_end_dt": end})[1]


# ---------------------------------------------------------------------------------------------
# The warehouse answers the pipeline's SQL
# ---------------------------------------------------------------------------------------------


def test_export_query_runs_verbatim(folder: Path) -> None:
    window = {"window_start": date(2024, 9, 1), "window_end": date(2024, 11, 30)}
    columns, rows = _query(folder, EXPORT_SQL, window)
    assert columns == EXPORT_COLUMNS
    assert len(rows) > 500
    assert (rows["cvs_start"] <= window["window_end"]).all()
    ended = rows["cvs_end"].notna()
    assert (rows.loc[ended, "cvs_end"] >= window["window_start"]).all()


def test_sa_98_columns_and_inclusive_bounds(folder: Path) -> None:
    columns, rows = _query(
        folder, SA_98_SQL, {"fy_start_dt": date(2024, 9, 1), "fy_end_dt": date(2025, 8, 31)}
    )
    assert columns == SA_98_COLUMNS
    assert len(rows) > 0
    assert rows["RETURN_DATE"].isna().any()

    # Pick a day with an event: it is included as the first day and as the last day.
    day = rows["RUNAWAY_DATE"].iloc[len(rows) // 2]
    on_day = (rows["RUNAWAY_DATE"] == day).sum()
    assert len(_sa_98(folder, day, day)) == on_day
    before = _sa_98(folder, date(2024, 9, 1), day - timedelta(days=1))
    after = _sa_98(folder, day + timedelta(days=1), date(2025, 8, 31))
    assert len(before) + on_day + len(after) == len(rows)
    assert before["RUNAWAY_DATE"].max() < day < after["RUNAWAY_DATE"].min()


def test_lookup_has_every_county_and_region(folder: Path) -> None:
    columns, rows = _query(folder, LOOKUP_SQL)
    assert columns == ["cnty_name", "region"]
    assert len(rows) == 254 == len(TEXAS_COUNTIES)
    assert rows["cnty_name"].map(county_key).nunique() == 254
    assert set(rows["region"]) == {str(r) for r in range(1, 12)}
    assert "DeWitt County" in set(rows["cnty_name"])  # spelling dirt the pipeline must absorb
    regions = dict(zip(rows["cnty_name"].map(county_key), rows["region"]))
    assert regions["HARRIS"] == "6" and regions["DALLAS"] == "3" and regions["ELPASO"] == "10"
    assert regions["HIDALGO"] == "11" and regions["LUBBOCK"] == "1" and regions["BEXAR"] == "8"


def test_every_row_county_maps_to_the_lookup(folder: Path) -> None:
    _, lookup = _query(folder, LOOKUP_SQL)
    keys = set(lookup["cnty_name"].map(county_key))
    for sql in ("select distinct cnty_name from caps.cvs_episode",
                "select distinct cnty_name from caps.runaway_event"):
        names = _query(folder, sql)[1]["cnty_name"]
        assert set(names.map(county_key)) <= keys


def test_files_are_private_and_complete(folder: Path) -> None:
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in (WAREHOUSE_FILE, TCIC_FILE):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == sorted([WAREHOUSE_FILE, TCIC_FILE])


def test_no_date_after_last_day_except_wrong_dobs(folder: Path) -> None:
    _, latest = _query(
        folder,
        """select (select max(cvs_start) from caps.cvs_episode),
                  (select max(cvs_end) from caps.cvs_episode),
                  (select max(runaway_date) from caps.runaway_event),
                  (select max(return_date) from caps.runaway_event)""",
    )
    assert all(value <= LAST_DAY for value in latest.iloc[0])
    entries = _tcic(folder, "missing_person_entry")
    for column in ("entry_date", "missing_date", "clear_date"):
        assert entries[column].max() <= pd.Timestamp(LAST_DAY)


# ---------------------------------------------------------------------------------------------
# Volumes, dirt and determinism
# ---------------------------------------------------------------------------------------------


def test_volumes_scale(folder: Path) -> None:
    data = read_agency_data(folder / WAREHOUSE_FILE)
    assert data.fiscal_years == [2024, 2025]
    fy2024 = _sa_98(folder, date(2023, 9, 1), date(2024, 8, 31))
    assert len(fy2024) == round(3000 * SCALE)
    _, children = _query(
        folder,
        """select count(distinct person_id) n from caps.cvs_episode
           where cvs_start <= date '2024-08-31' and (cvs_end is null or cvs_end >= '2023-09-01')""",
    )
    assert 0.85 * 60_000 * SCALE < children["n"].iloc[0] < 1.15 * 60_000 * SCALE


def test_dirt_is_present(folder: Path) -> None:
    data = read_agency_data(folder / WAREHOUSE_FILE)
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


def test_runaway_events_are_plausible(folder: Path) -> None:
    data = read_agency_data(folder / WAREHOUSE_FILE)
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


def test_generation_is_deterministic(folder: Path) -> None:
    first = generate_agency_data(SEED, FIRST_FY, LAST_DAY, SCALE)
    second = generate_agency_data(SEED, FIRST_FY, LAST_DAY, SCALE)
    stored = read_agency_data(folder / WAREHOUSE_FILE)
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
    written = _tcic(folder, "missing_person_entry")
    assert written["nic"].tolist() == in_memory.missing_person_entry["nic"].tolist()


def test_build_warehouse_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "new" / "caps.duckdb"
    target.parent.mkdir()
    target.write_text("not a database")
    summary = build_warehouse(target, seed=1, first_fiscal_year=2025, last_day=date(2024, 12, 31),
                              scale=0.01)
    assert summary.counties == 254 and summary.runaway_events > 0
    assert list(summary.runaway_events_by_fiscal_year) == [2025]
    assert sorted(p.name for p in target.parent.iterdir()) == ["caps.duckdb"]
    _, rows = _query(target.parent, LOOKUP_SQL)
    assert len(rows) == 254


def test_cli_prints_counts_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    assert main(["--out-dir", str(out), "--seed", "3", "--scale", "0.01",
                 "--first-fiscal-year", "2025", "--last-day", "2025-01-31"]) == 0
    printed = capsys.readouterr().out
    assert "254 counties" in printed and "missing-person entries" in printed
    person = read_agency_data(out / WAREHOUSE_FILE).person
    for name in pd.concat([person["first_name"], person["last_name"]]).dropna():
        if len(name.strip()) > 3:
            assert name.strip() not in printed
    assert not re.search(r"\d{4}-\d{2}-\d{2}", printed)


# ---------------------------------------------------------------------------------------------
# The TCIC store
# ---------------------------------------------------------------------------------------------


def test_tcic_layout_and_codes(folder: Path) -> None:
    entries = _tcic(folder, "missing_person_entry")
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


def test_every_discrepancy_kind_is_present(folder: Path) -> None:
    discrepancy = _tcic(folder, "discrepancy")
    entries = _tcic(folder, "missing_person_entry")
    assert set(discrepancy["kind"]) == set(DISCREPANCY_KINDS)
    not_reported = discrepancy[discrepancy["kind"] == "not_reported"]
    assert not_reported["nic"].isna().all()
    assert set(discrepancy["nic"].dropna()) == set(entries["nic"])
    events = read_agency_data(folder / WAREHOUSE_FILE).runaway_event
    recorded = discrepancy[discrepancy["kind"].isin(["reported", "not_reported"])]
    assert recorded["runaway_event_id"].is_unique
    assert set(recorded["runaway_event_id"]) == set(events["runaway_event_id"])
    assert 0.75 < (discrepancy["kind"] == "reported").sum() / len(events) < 0.95


def test_reported_entries_are_near_their_event(folder: Path) -> None:
    discrepancy = _tcic(folder, "discrepancy")
    entries = _tcic(folder, "missing_person_entry").set_index("nic")
    events = read_agency_data(folder / WAREHOUSE_FILE).runaway_event.set_index("runaway_event_id")
    for kind in ("reported", "multi_agency"):
        rows = discrepancy[discrepancy["kind"] == kind]
        missing = entries.loc[rows["nic"], "missing_date"].to_numpy()
        runaway = events.loc[rows["runaway_event_id"], "runaway_date"].to_numpy()
        assert (abs(pd.Series(missing - runaway).dt.days) <= 7).all()
        person = entries.loc[rows["nic"], "dfps_person_id"].to_numpy()
        assert (person == events.loc[rows["runaway_event_id"], "person_id"].to_numpy()).all()


def test_multi_agency_entries_share_person_and_missing_date(folder: Path) -> None:
    discrepancy = _tcic(folder, "discrepancy")
    entries = _tcic(folder, "missing_person_entry").set_index("nic")
    by_event = discrepancy[discrepancy["kind"].isin(["reported", "multi_agency"])]
    multi_events = by_event.loc[by_event["kind"] == "multi_agency", "runaway_event_id"].unique()
    for event_id in multi_events:
        nics = by_event.loc[by_event["runaway_event_id"] == event_id, "nic"]
        group = entries.loc[nics]
        assert 2 <= len(group) <= 3
        assert group["dfps_person_id"].nunique() == 1 and group["missing_date"].nunique() == 1
        assert group["agency_county"].nunique() > 1


def test_unmatched_entries_are_far_from_any_event(folder: Path) -> None:
    discrepancy = _tcic(folder, "discrepancy")
    entries = _tcic(folder, "missing_person_entry").set_index("nic")
    events = read_agency_data(folder / WAREHOUSE_FILE).runaway_event
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


def test_unmapped_counties_are_not_in_the_lookup(folder: Path) -> None:
    discrepancy = _tcic(folder, "discrepancy")
    entries = _tcic(folder, "missing_person_entry").set_index("nic")
    unmapped = entries.loc[discrepancy.loc[discrepancy["kind"] == "unmapped_county", "nic"]]
    keys = {county_key(c) for c in TEXAS_COUNTIES}
    assert len(unmapped) > 0
    assert not unmapped["agency_county"].map(county_key).isin(keys).any()
    mapped = entries.drop(index=unmapped.index)
    assert mapped["agency_county"].map(county_key).isin(keys).all()
