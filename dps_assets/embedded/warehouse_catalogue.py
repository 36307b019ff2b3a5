"""What the embedded DuckDB files hold: the warehouse (`caps.duckdb`, with Oracle's production
object names once attached as catalog `caps`, including the package function get_sa_98) and DPS's
TCIC store (`tcic.duckdb`); and reading the agency's tables back from a warehouse file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from dps_assets.embedded.duckdb_files import sql_literal
from dps_assets.embedded.synthetic.agency_data import AgencyData

WAREHOUSE_DDL = (
    """create table caps.main.person (
        person_id BIGINT, first_name VARCHAR, middle_name VARCHAR, last_name VARCHAR,
        dob DATE, sex VARCHAR, race VARCHAR)""",
    """create table caps.main.cvs_episode (
        cvs_episode_id BIGINT, person_id BIGINT, cnty_name VARCHAR, cvs_start DATE,
        cvs_end DATE)""",
    """create table caps.main.runaway_event (
        runaway_event_id BIGINT, person_id BIGINT, cnty_name VARCHAR, runaway_date DATE,
        return_date DATE, living_arrangement VARCHAR)""",
    "create table caps.main.cnty_reg_tableau (cnty_name VARCHAR, sub_reg VARCHAR)",
    # Not an Oracle object: how the file was generated, so the TCIC store can be derived later.
    """create table caps.main.synthetic_build_info (
        seed BIGINT, first_fiscal_year INTEGER, last_day DATE, scale DOUBLE)""",
    "create schema caps.qtr_dps_cvs_pkg",
    # Oracle's package function returning the fiscal year's runaway events (sa_98).
    """create macro caps.qtr_dps_cvs_pkg.get_sa_98(fy_start_dt, fy_end_dt) as table
        select r.person_id          as "PERSON_ID",
               r.runaway_event_id   as "RUNAWAY_EVENT_ID",
               p.first_name         as "FIRST_NAME",
               p.last_name          as "LAST_NAME",
               p.dob                as "DOB",
               p.sex                as "SEX",
               p.race               as "RACE",
               r.cnty_name          as "CNTY_NAME",
               -- Oracle DATEs carry the time the caseworker entered; so do these.
               r.runaway_date + to_seconds(r.runaway_event_id * 7919 % 86400) as "RUNAWAY_DATE",
               r.return_date + to_seconds(r.runaway_event_id * 104729 % 86400) as "RETURN_DATE",
               r.living_arrangement as "LIVING_ARRANGEMENT"
        from caps.main.runaway_event r
        join caps.main.person p on p.person_id = r.person_id
        where r.runaway_date between cast(fy_start_dt as date) and cast(fy_end_dt as date)
        order by r.runaway_date, r.runaway_event_id""",
)

TCIC_DDL = (
    """create table tcic.main.missing_person_entry (
        nic VARCHAR, dfps_person_id BIGINT, last_name VARCHAR, first_name VARCHAR, dob DATE,
        sex VARCHAR, race VARCHAR, mke VARCHAR, ori VARCHAR, agency_county VARCHAR,
        entry_date DATE, missing_date DATE, clear_date DATE)""",
    "create table tcic.main.discrepancy (nic VARCHAR, runaway_event_id BIGINT, kind VARCHAR)",
)

# The agency's tables, each with the key its rows are read back in order of.
AGENCY_TABLES = (
    ("person", "person_id"),
    ("cvs_episode", "cvs_episode_id"),
    ("runaway_event", "runaway_event_id"),
    ("cnty_reg_tableau", "cnty_name"),
)

SA_98_QUERY = "select * from caps.qtr_dps_cvs_pkg.get_sa_98($fy_start_dt, $fy_end_dt)"


def read_agency_data(path: str | Path) -> AgencyData:
    """The agency's tables from a warehouse file written by `write_warehouse`."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{sql_literal(str(path))}' as caps (read_only)")
        seed, first_fy, last_day, scale = con.execute(
            "select seed, first_fiscal_year, last_day, scale from caps.main.synthetic_build_info"
        ).fetchall()[0]
        frames = {
            table: _normalise(con.execute(f"select * from caps.main.{table} order by {key}").df())
            for table, key in AGENCY_TABLES
        }
    finally:
        con.close()
    return AgencyData(
        **frames, seed=int(seed), first_fiscal_year=int(first_fy), last_day=last_day,
        scale=float(scale),
    )


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes as the generator's frames: datetime64[ns] dates, None for missing text."""
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].astype("datetime64[ns]")
        elif frame[column].dtype == object:
            # pandas takes other=None (missing stays None, not NaN); pandas-stubs' `other` leaves None out.
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)  # type: ignore[call-overload]
    return frame
