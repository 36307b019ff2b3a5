"""The project's workbook writer against its anchor, plain XlsxWriter in constant-memory mode,
writing the same frame (shaped like IMPACT_not_in_DPS: 13 columns of ids, invented names, dates
and text) in the same process run: three repetitions each, alternating, medians; then each
writer's memory in a fresh subprocess, at the full and at a tenth of the rows: the peak of what
the writing allocates (tracemalloc, the frame itself excluded) and the process's peak RSS (flat:
the writing's own memory does not grow with the rows).

    .venv/bin/python bench/bench_workbook_writer.py [--rows 200000] [--repetitions 3]

Goal (issue 11 §3): ours ≤ 1.2× the anchor's time."""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dps_assets.core.workbooks.writer import About, Sheet, write_workbook

GOAL = 1.2
LAST = ["GARCIA", "SMITH", "NGUYEN", "WASHINGTON", "DE LA CRUZ", "O'BRIEN", "JOHNSON-LEE", "TRAN"]
FIRST = ["MARIA", "JAMES", "ANH", "DESHAWN", "SOFIA", "LIAM", "ISABELLA", "NOAH"]
COUNTIES = ["Travis", "Bexar", "Harris", "El Paso", "Hidalgo", "Lubbock", "Dallas", "Out of State"]
LIVING = ["Foster Home", "Kinship Placement", "General Residential Operation - Emergency Shelter"]


def frame_of(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    day = np.datetime64("2025-09-01")

    def dates(first: str, span: int) -> pd.Series:
        return pd.Series(np.datetime64(first) + rng.integers(0, span, rows).astype("timedelta64[D]"))

    returned = dates("2025-09-01", 300)
    returned[rng.random(rows) < 0.3] = pd.NaT
    return pd.DataFrame({
        "FISCAL_QUARTER": rng.choice(["FY2026-Q1", "FY2026-Q2", "FY2026-Q3"], rows),
        "REGION": pd.Series(rng.integers(1, 12, rows), dtype=object),
        "CNTY_NAME": rng.choice(COUNTIES, rows).astype(object),
        "PERSON_ID": np.arange(rows) * 7 + 1_000_000,
        "RUNAWAY_EVENT_ID": np.arange(rows) + 50_000_000,
        "LAST_NAME": rng.choice(LAST, rows).astype(object),
        "FIRST_NAME": rng.choice(FIRST, rows).astype(object),
        "DOB": dates("2007-01-01", 2500),
        "SEX": rng.choice(["M", "F"], rows).astype(object),
        "RACE": rng.choice(["W", "B", "A", "U"], rows).astype(object),
        "RUNAWAY_DATE": pd.Series(day + rng.integers(0, 270, rows).astype("timedelta64[D]")),
        "RETURN_DATE": returned,
        "LIVING_ARRANGEMENT": rng.choice(LIVING, rows).astype(object),
    })


def write_ours(frame: pd.DataFrame, path: Path) -> None:
    write_workbook(path, [Sheet("IMPACT not in DPS", frame)], About((("Rows", len(frame)),)))


def write_anchor(frame: pd.DataFrame, path: Path) -> None:
    """Plain XlsxWriter, constant memory: the header, then each row with write_row (dates as
    datetimes with a date format, NaT as empty), as its documentation shows."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    worksheet = workbook.add_worksheet("IMPACT not in DPS")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    worksheet.write_row(0, 0, list(frame.columns))
    date_columns = [i for i, c in enumerate(frame.columns) if pd.api.types.is_datetime64_any_dtype(frame[c])]
    for i in date_columns:
        worksheet.set_column(i, i, 12, date_format)
    columns = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in frame.columns]
    for row, values in enumerate(zip(*columns, strict=True), start=1):
        for column, value in enumerate(values):
            if value is None:
                continue
            if column in date_columns:
                worksheet.write_datetime(row, column, value.to_pydatetime(), date_format)
            else:
                worksheet.write(row, column, value)
    workbook.close()


WRITERS = {"anchor": write_anchor, "ours": write_ours}


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(writer: str, rows: int) -> None:
    """In a fresh process: build the frame, then write it under tracemalloc; print the write's
    peak allocation and the process's peak RSS."""
    frame = frame_of(rows)
    tracemalloc.start()
    with tempfile.TemporaryDirectory() as folder:
        WRITERS[writer](frame, Path(folder) / "book.xlsx")
    _, peak = tracemalloc.get_traced_memory()
    print(json.dumps({"allocated": peak / 2**20, "rss": _peak_rss_mib()}))


def memory(writer: str, rows: int) -> dict:
    output = subprocess.run([sys.executable, __file__, "--child", writer, "--rows", str(rows)],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--child", choices=sorted(WRITERS))
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
        return
    frame = frame_of(args.rows)
    print(f"frame: {len(frame):,} rows x {len(frame.columns)} columns "
          f"({frame.memory_usage(deep=True).sum() / 2**20:.0f} MiB in pandas)", flush=True)
    times: dict[str, list[float]] = {name: [] for name in WRITERS}
    with tempfile.TemporaryDirectory() as folder:
        for repetition in range(args.repetitions):
            for name, write in WRITERS.items():
                path = Path(folder) / f"{name}.xlsx"
                start = time.perf_counter()
                write(frame, path)
                times[name].append(time.perf_counter() - start)
                print(f"  repetition {repetition + 1} {name:<7} {times[name][-1]:7.2f} s "
                      f"{path.stat().st_size / 1e6:7.2f} MB", flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    ratio = medians["ours"] / medians["anchor"]
    print(f"anchor (xlsxwriter constant_memory) median {medians['anchor']:7.2f} s")
    print(f"ours   (core.workbooks.writer.write_workbook)  median {medians['ours']:7.2f} s")
    print(f"ratio ours/anchor {ratio:.2f}x (goal <= {GOAL}x): {'met' if ratio <= GOAL else 'NOT met'}")
    small = max(args.rows // 10, 1)
    for name in WRITERS:
        full, tenth = memory(name, args.rows), memory(name, small)
        print(f"memory {name:<7} writing {args.rows:>9,} rows: peak allocated {full['allocated']:7.1f} MiB, "
              f"peak RSS {full['rss']:5.0f} MiB; {small:>9,} rows: {tenth['allocated']:7.1f} MiB, "
              f"{tenth['rss']:5.0f} MiB")


if __name__ == "__main__":
    main()
