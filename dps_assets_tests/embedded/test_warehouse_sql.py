"""The synthetic warehouse (Oracle stand-in) answers the pipeline's SQL verbatim: the export query,
Oracle's get_sa_98 with inclusive bounds, and a county lookup every row's county maps to."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from dps_assets.embedded.synthetic.counties import TEXAS_COUNTIES, county_key
from dps_assets_tests.support.embedded_files import (
    EXPORT_COLUMNS,
    EXPORT_SQL,
    LOOKUP_SQL,
    SA_98_COLUMNS,
    SA_98_SQL,
    query_warehouse,
    sa_98,
)


def test_export_query_runs_verbatim(warehouse_folder: Path) -> None:
    window = {"window_start": date(2024, 9, 1), "window_end": date(2024, 11, 30)}
    columns, rows = query_warehouse(warehouse_folder, EXPORT_SQL, window)
    assert columns == EXPORT_COLUMNS
    assert len(rows) > 500
    assert (rows["cvs_start"] <= window["window_end"]).all()
    ended = rows["cvs_end"].notna()
    assert (rows.loc[ended, "cvs_end"] >= window["window_start"]).all()


def test_sa_98_columns_and_inclusive_bounds(warehouse_folder: Path) -> None:
    columns, rows = query_warehouse(
        warehouse_folder, SA_98_SQL,
        {"fy_start_dt": date(2024, 9, 1), "fy_end_dt": date(2025, 8, 31)},
    )
    assert columns == SA_98_COLUMNS
    assert len(rows) > 0
    assert rows["RETURN_DATE"].isna().any()

    # Pick a day with an event: it is included as the first day and as the last day.
    day = rows["RUNAWAY_DATE"].iloc[len(rows) // 2]
    on_day = (rows["RUNAWAY_DATE"] == day).sum()
    assert len(sa_98(warehouse_folder, day, day)) == on_day
    before = sa_98(warehouse_folder, date(2024, 9, 1), day - timedelta(days=1))
    after = sa_98(warehouse_folder, day + timedelta(days=1), date(2025, 8, 31))
    assert len(before) + on_day + len(after) == len(rows)
    assert before["RUNAWAY_DATE"].max() < day < after["RUNAWAY_DATE"].min()


def test_lookup_has_every_county_and_region(warehouse_folder: Path) -> None:
    columns, rows = query_warehouse(warehouse_folder, LOOKUP_SQL)
    assert columns == ["cnty_name", "region"]
    assert len(rows) == 254 == len(TEXAS_COUNTIES)
    assert rows["cnty_name"].map(county_key).nunique() == 254
    assert set(rows["region"]) == {str(r) for r in range(1, 12)}
    assert "DeWitt County" in set(rows["cnty_name"])  # spelling dirt the pipeline must absorb
    regions = dict(zip(rows["cnty_name"].map(county_key), rows["region"], strict=True))
    assert regions["HARRIS"] == "6" and regions["DALLAS"] == "3" and regions["ELPASO"] == "10"
    assert regions["HIDALGO"] == "11" and regions["LUBBOCK"] == "1" and regions["BEXAR"] == "8"


def test_every_row_county_maps_to_the_lookup(warehouse_folder: Path) -> None:
    _, lookup = query_warehouse(warehouse_folder, LOOKUP_SQL)
    keys = set(lookup["cnty_name"].map(county_key))
    for sql in ("select distinct cnty_name from caps.cvs_episode",
                "select distinct cnty_name from caps.runaway_event"):
        names = query_warehouse(warehouse_folder, sql)[1]["cnty_name"]
        assert set(names.map(county_key)) <= keys
