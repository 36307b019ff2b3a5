"""Build the embedded data: generate the synthetic agency data and write it as the warehouse
standing in for Oracle (`caps.duckdb`) and DPS's TCIC store (`tcic.duckdb`), whose contents
`warehouse_catalogue` defines; check the warehouse answers the sa_98 query; report counts.

Both files are built under a temporary name and renamed into place, so a reader never sees a
half-built file. Command line:

    python -m dps_assets.embedded.warehouse --out-dir DIR [--seed N] [--scale X]
        [--first-fiscal-year Y] [--last-day YYYY-MM-DD]

It prints counts only, never a name or a date of birth.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from dps_assets.embedded.duckdb_files import insert_frame, sql_literal, write_atomically
from dps_assets.embedded.synthetic.agency_data import AgencyData, generate_agency_data
from dps_assets.embedded.synthetic.fiscal_calendar import fiscal_year_bounds
from dps_assets.embedded.synthetic.tcic_entries import DISCREPANCY_KINDS, TcicData, generate_tcic_entries
from dps_assets.embedded.warehouse_catalogue import (
    AGENCY_TABLES,
    SA_98_QUERY,
    TCIC_DDL,
    WAREHOUSE_DDL,
    read_agency_data,
)

WAREHOUSE_FILE = "caps.duckdb"
TCIC_FILE = "tcic.duckdb"


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
        for statement in WAREHOUSE_DDL:
            con.execute(statement)
        for table, _ in AGENCY_TABLES:
            insert_frame(con, f"caps.main.{table}", getattr(data, table))
        con.execute(
            "insert into caps.main.synthetic_build_info values (?, ?, ?, ?)",
            [data.seed, data.first_fiscal_year, data.last_day, data.scale],
        )

    write_atomically(path, "caps", fill)
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
        for statement in TCIC_DDL:
            con.execute(statement)
        insert_frame(con, "tcic.main.missing_person_entry", tcic.missing_person_entry)
        insert_frame(con, "tcic.main.discrepancy", tcic.discrepancy)

    write_atomically(path, "tcic", fill)
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


def _verify_warehouse(path: Path, data: AgencyData) -> tuple[dict[int, int], dict[int, int]]:
    """Attach the new file read-only as `caps` from a fresh connection, as the pipeline does, and
    check get_sa_98 returns each fiscal year's events. Returns per-fiscal-year counts of
    children in conservatorship and of runaway events."""
    con = duckdb.connect()
    children: dict[int, int] = {}
    events: dict[int, int] = {}
    try:
        con.execute(f"attach '{sql_literal(str(path))}' as caps (read_only)")
        for fiscal_year in data.fiscal_years:
            fy_start, fy_end = fiscal_year_bounds(fiscal_year)
            got = con.execute(
                f"select count(*) from ({SA_98_QUERY})",
                {"fy_start_dt": fy_start, "fy_end_dt": fy_end},
            ).fetchall()[0][0]
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
            ).fetchall()[0][0]
    finally:
        con.close()
    return children, events


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
