"""The small embedded build the tests under embedded/ share, the pipeline's SQL against it, and
reading its files the way the pipeline's DuckDB driver does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from dps_assets.embedded.warehouse import TCIC_FILE, WAREHOUSE_FILE

# The build behind the `warehouse_folder` fixture (dps_assets_tests/embedded/conftest.py).
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


def query_warehouse(
    folder: Path, sql: str, binds: dict | None = None
) -> tuple[list[str], pd.DataFrame]:
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


def tcic_table(folder: Path, table: str) -> pd.DataFrame:
    """A whole table of the TCIC store in `folder`."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{folder / TCIC_FILE}' as tcic (read_only)")
        return con.execute(f"select * from tcic.main.{table}").df()
    finally:
        con.close()


def sa_98(folder: Path, start: date, end: date) -> pd.DataFrame:
    """The rows get_sa_98 returns for `start` .. `end`."""
    return query_warehouse(folder, SA_98_SQL, {"fy_start_dt": start, "fy_end_dt": end})[1]
