"""Write the synthetic data to DuckDB files: the warehouse standing in for Oracle (`caps.duckdb`,
with Oracle's production object names once attached as catalog `caps`) and DPS's TCIC store
(`tcic.duckdb`).

Both files are built under a temporary name and renamed into place, so a reader never sees a
half-built file. Command line:

    python -m dps_assets.embedded.warehouse --out-dir DIR [--seed N] [--scale X]
        [--first-fiscal-year Y] [--last-day YYYY-MM-DD]

It prints counts only, never a name or a date of birth.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from dps_assets.embedded.synthetic import (
    DISCREPANCY_KINDS,
    AgencyData,
    TcicData,
    fiscal_year_bounds,
    generate_agency_data,
    generate_tcic_entries,
)
from dps_assets.core.private_files import private_folder

WAREHOUSE_FILE = "caps.duckdb"
TCIC_FILE = "tcic.duckdb"

_WAREHOUSE_DDL = (
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

_TCIC_DDL = (
    """create table tcic.main.missing_person_entry (
        nic VARCHAR, dfps_person_id BIGINT, last_name VARCHAR, first_name VARCHAR, dob DATE,
        sex VARCHAR, race VARCHAR, mke VARCHAR, ori VARCHAR, agency_county VARCHAR,
        entry_date DATE, missing_date DATE, clear_date DATE)""",
    "create table tcic.main.discrepancy (nic VARCHAR, runaway_event_id BIGINT, kind VARCHAR)",
)

_SA_98 = "select * from caps.qtr_dps_cvs_pkg.get_sa_98($fy_start_dt, $fy_end_dt)"


@dataclass(frozen=True)
class WarehouseSummary:
    """Counts describing a built warehouse file (never any personal data)."""

    path: Path
    seed: int
    first_fiscal_year: int
    last_day: date
    scale: float
    persons: int
    episodes: int
    runaway_events: int
    counties: int
    children_by_fiscal_year: dict[int, int] = field(default_factory=dict)
    runaway_events_by_fiscal_year: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class TcicSummary:
    """Counts describing a built TCIC store file."""

    path: Path
    entries: int
    discrepancies_by_kind: dict[str, int]
    seconds: float = 0.0


@dataclass(frozen=True)
class EmbeddedDataSummary:
    warehouse: WarehouseSummary
    tcic: TcicSummary


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------


def build_warehouse(
    path: str | Path,
    *,
    seed: int = 2025,
    first_fiscal_year: int = 2024,
    last_day: date | None = None,
    scale: float = 1.0,
) -> WarehouseSummary:
    """Generate the agency's data and write the warehouse file. `last_day` defaults to today."""
    started = time.perf_counter()
    data = generate_agency_data(seed, first_fiscal_year, last_day or date.today(), scale)
    return write_warehouse(path, data, started=started)


def write_warehouse(
    path: str | Path, data: AgencyData, *, started: float | None = None
) -> WarehouseSummary:
    """Write `data` as the warehouse file at `path` and check it answers the sa_98 query when
    attached read-only as `caps` from a fresh connection."""
    started = time.perf_counter() if started is None else started
    path = Path(path)

    def fill(con: duckdb.DuckDBPyConnection) -> None:
        for statement in _WAREHOUSE_DDL:
            con.execute(statement)
        for table in ("person", "cvs_episode", "runaway_event", "cnty_reg_tableau"):
            _insert(con, f"caps.main.{table}", getattr(data, table))
        con.execute(
            "insert into caps.main.synthetic_build_info values (?, ?, ?, ?)",
            [data.seed, data.first_fiscal_year, data.last_day, data.scale],
        )

    _write_atomically(path, "caps", fill)
    children, events = _verify_warehouse(path, data)
    return WarehouseSummary(
        path=path,
        seed=data.seed,
        first_fiscal_year=data.first_fiscal_year,
        last_day=data.last_day,
        scale=data.scale,
        persons=len(data.person),
        episodes=len(data.cvs_episode),
        runaway_events=len(data.runaway_event),
        counties=len(data.cnty_reg_tableau),
        children_by_fiscal_year=children,
        runaway_events_by_fiscal_year=events,
        seconds=round(time.perf_counter() - started, 3),
    )


def build_tcic_store(
    path: str | Path, source: AgencyData | str | Path, *, seed: int | None = None
) -> TcicSummary:
    """Write DPS's TCIC store derived from the agency's data, given in memory or as the path of a
    warehouse file. `seed` defaults to the warehouse's seed; either way the result is the same."""
    started = time.perf_counter()
    data = source if isinstance(source, AgencyData) else read_agency_data(source)
    tcic = generate_tcic_entries(data, seed)
    return write_tcic_store(path, tcic, started=started)


def write_tcic_store(
    path: str | Path, tcic: TcicData, *, started: float | None = None
) -> TcicSummary:
    started = time.perf_counter() if started is None else started
    path = Path(path)

    def fill(con: duckdb.DuckDBPyConnection) -> None:
        for statement in _TCIC_DDL:
            con.execute(statement)
        _insert(con, "tcic.main.missing_person_entry", tcic.missing_person_entry)
        _insert(con, "tcic.main.discrepancy", tcic.discrepancy)

    _write_atomically(path, "tcic", fill)
    counts = tcic.discrepancy["kind"].value_counts()
    return TcicSummary(
        path=path,
        entries=len(tcic.missing_person_entry),
        discrepancies_by_kind={kind: int(counts.get(kind, 0)) for kind in DISCREPANCY_KINDS},
        seconds=round(time.perf_counter() - started, 3),
    )


def build_embedded_data(
    folder: str | Path,
    seed: int = 2025,
    first_fiscal_year: int = 2024,
    last_day: date | None = None,
    scale: float = 1.0,
) -> EmbeddedDataSummary:
    """Write `caps.duckdb` (the warehouse) and `tcic.duckdb` (DPS's store) in `folder`."""
    started = time.perf_counter()
    folder = Path(folder)
    data = generate_agency_data(seed, first_fiscal_year, last_day or date.today(), scale)
    warehouse = write_warehouse(folder / WAREHOUSE_FILE, data, started=started)
    tcic = build_tcic_store(folder / TCIC_FILE, data, seed=seed)
    return EmbeddedDataSummary(warehouse=warehouse, tcic=tcic)


# --------------------------------------------------------------------------------------------
# Reading back
# --------------------------------------------------------------------------------------------


def read_agency_data(path: str | Path) -> AgencyData:
    """The agency's tables from a warehouse file written by `write_warehouse`."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{_sql_literal(str(path))}' as caps (read_only)")
        seed, first_fy, last_day, scale = con.execute(
            "select seed, first_fiscal_year, last_day, scale from caps.main.synthetic_build_info"
        ).fetchone()
        frames = {
            table: _normalise(con.execute(f"select * from caps.main.{table} order by {key}").df())
            for table, key in (
                ("person", "person_id"),
                ("cvs_episode", "cvs_episode_id"),
                ("runaway_event", "runaway_event_id"),
                ("cnty_reg_tableau", "cnty_name"),
            )
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
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


# --------------------------------------------------------------------------------------------
# File handling
# --------------------------------------------------------------------------------------------


def _write_atomically(
    path: Path, catalog: str, fill: Callable[[duckdb.DuckDBPyConnection], None]
) -> None:
    """Build a DuckDB file under a temporary name next to `path`, then rename it into place.
    The file gets mode 0600; a parent folder created here gets 0700."""
    private_folder(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    for leftover in (temporary, Path(f"{temporary}.wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"attach '{_sql_literal(str(temporary))}' as {catalog}")
        fill(con)
        con.execute(f"checkpoint {catalog}")
        con.execute(f"detach {catalog}")
    except BaseException:
        con.close()
        for leftover in (temporary, Path(f"{temporary}.wal")):
            leftover.unlink(missing_ok=True)
        raise
    con.close()
    os.chmod(temporary, 0o600)
    # A stale write-ahead log next to the target would be replayed onto the new file.
    Path(f"{path}.wal").unlink(missing_ok=True)
    os.replace(temporary, path)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Bulk insert a DataFrame by column name (DuckDB scans it; no row-by-row inserts)."""
    view = "_frame_to_insert"
    con.register(view, frame)
    try:
        con.execute(f"insert into {table} by name select * from {view}")
    finally:
        con.unregister(view)


def _verify_warehouse(path: Path, data: AgencyData) -> tuple[dict[int, int], dict[int, int]]:
    """Attach the new file read-only as `caps` from a fresh connection, as the pipeline does, and
    check get_sa_98 returns each fiscal year's events. Returns per-fiscal-year counts of
    children in conservatorship and of runaway events."""
    con = duckdb.connect()
    children: dict[int, int] = {}
    events: dict[int, int] = {}
    try:
        con.execute(f"attach '{_sql_literal(str(path))}' as caps (read_only)")
        for fiscal_year in data.fiscal_years:
            fy_start, fy_end = fiscal_year_bounds(fiscal_year)
            got = con.execute(
                f"select count(*) from ({_SA_98})", {"fy_start_dt": fy_start, "fy_end_dt": fy_end}
            ).fetchone()[0]
            dates = data.runaway_event["runaway_date"]
            expected = int(dates.between(pd.Timestamp(fy_start), pd.Timestamp(fy_end)).sum())
            if got != expected:
                raise RuntimeError(
                    f"{path}: get_sa_98 returned {got} events for FY{fiscal_year}, "
                    f"expected {expected}"
                )
            events[fiscal_year] = got
            children[fiscal_year] = con.execute(
                """select count(distinct person_id) from caps.main.cvs_episode
                   where cvs_start <= $fy_end and (cvs_end is null or cvs_end >= $fy_start)""",
                {"fy_start": fy_start, "fy_end": fy_end},
            ).fetchone()[0]
    finally:
        con.close()
    return children, events


def _sql_literal(text: str) -> str:
    return text.replace("'", "''")


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dps_assets.embedded.warehouse",
        description="Write synthetic caps.duckdb (warehouse) and tcic.duckdb (DPS) files.",
    )
    parser.add_argument("--out-dir", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--first-fiscal-year", type=int, default=2024)
    parser.add_argument("--last-day", type=date.fromisoformat, default=None,
                        help="YYYY-MM-DD, default today")
    args = parser.parse_args(argv)
    summary = build_embedded_data(
        args.out_dir, args.seed, args.first_fiscal_year, args.last_day, args.scale
    )
    w, t = summary.warehouse, summary.tcic
    print(f"warehouse {w.path}: {w.persons} persons, {w.episodes} episodes, "
          f"{w.runaway_events} runaway events, {w.counties} counties ({w.seconds:.1f} s)")
    for fiscal_year in sorted(w.children_by_fiscal_year):
        print(f"  FY{fiscal_year}: {w.children_by_fiscal_year[fiscal_year]} children in "
              f"conservatorship, {w.runaway_events_by_fiscal_year[fiscal_year]} runaway events")
    kinds = ", ".join(f"{kind} {count}" for kind, count in t.discrepancies_by_kind.items())
    print(f"tcic {t.path}: {t.entries} missing-person entries ({t.seconds:.1f} s); {kinds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
