"""Parsing a large DPS results file (spec §4) with all the layout checks, against DuckDB's
`read_csv` of the same file into a typed pandas frame (the anchor). The file is written by the
simulated DPS's own writer (`simulated_dps.build_answer`) from a synthetic TCIC store, so its
layout is exactly DPS's: BOM, CRLF, names and counties as DPS spells them, empty CLEAR_DATEs.

Two kinds of file (`--kind`): `ascii`, names in DPS's ASCII spelling, about two entries per child,
in NIC order as DPS sorts them; `accented`, a fifth of the last names and a quarter of the first
names accented (spec §4 allows UTF-8; some decomposed), 1 to 20 entries per child, and the lines
in no particular order (bench/second_kind.py).

Each measurement runs in a fresh process (reading the file's bytes first, then timing the parse
alone), so the peak RSS printed is that parser's; medians of the repetitions. The third line
times the dps_results asset's one validation of the parsed frame (`core.schemas.check_frame`, the
check its Dagster type runs), in a process of its own.

    .venv/bin/python bench/bench_dps_parser.py [--rows 1000000] [--repeat 3] [--kind ascii|accented|both]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

sys.path.insert(0, str(REPO / "bench"))

import second_kind  # noqa: E402
from dps_assets.core.exchange.quarters import FiscalQuarter  # noqa: E402

FILE_NAME = "Dfps-missing-person-results.txt"
QUARTER = FiscalQuarter(2026, 4)
DUCKDB_TYPES = {"DFPS_PERSON_ID": "BIGINT", "NIC": "VARCHAR", "LAST_NAME": "VARCHAR", "FIRST_NAME": "VARCHAR",
                "DOB": "DATE", "SEX": "VARCHAR", "RACE": "VARCHAR", "MKE": "VARCHAR", "ORI": "VARCHAR",
                "AGENCY_COUNTY": "VARCHAR", "ENTRY_DATE": "DATE", "MISSING_DATE": "DATE", "CLEAR_DATE": "DATE"}


def synthetic_entries(rows: int, seed: int = 1, kind: str = "ascii") -> pd.DataFrame:
    """A TCIC store of `rows` entries in the window, in the columns `simulated_dps.load_tcic` gives;
    `kind` accented: accented names, 1 to 20 entries per child."""
    from dps_assets.embedded.synthetic.counties import COUNTY_NAMES, COUNTY_WEIGHTS
    from dps_assets.embedded.synthetic.names import ANGLO, FIRST_NAMES, HISPANIC, LAST_NAMES, dps_name
    from dps_assets.embedded.synthetic.tcic_fields import mkes, nics, oris

    rng = np.random.default_rng(seed)
    last = np.array([dps_name(n) for g in (HISPANIC, ANGLO) for n in LAST_NAMES[g]], dtype=object)
    first = np.array([dps_name(n) for k, names in FIRST_NAMES.items() for n in names], dtype=object)
    county = np.array([c.upper() for c in COUNTY_NAMES], dtype=object)[
        rng.choice(len(COUNTY_NAMES), rows, p=COUNTY_WEIGHTS)]
    start = pd.Timestamp(QUARTER.window_start)
    missing = start + pd.to_timedelta(rng.integers(0, 90, rows), unit="D")
    clear = (missing + pd.to_timedelta(rng.integers(0, 60, rows), unit="D")).to_series(index=range(rows))
    clear[rng.random(rows) < 0.2] = pd.NaT
    entries = pd.DataFrame({
        "DFPS_PERSON_ID": rng.integers(1_000_000, 1_000_000 + rows // 2, rows),
        "NIC": nics(rng, rows), "LAST_NAME": last[rng.integers(0, len(last), rows)],
        "FIRST_NAME": first[rng.integers(0, len(first), rows)],
        "DOB": start - pd.to_timedelta(rng.integers(10 * 365, 18 * 365, rows), unit="D"),
        "SEX": np.array(["M", "F"], dtype=object)[rng.integers(0, 2, rows)],
        "RACE": np.array(["W", "B", "A", "I", "U"], dtype=object)[rng.integers(0, 5, rows)],
        "MKE": mkes(rng, rows), "ORI": oris(rng, county), "AGENCY_COUNTY": county,
        "ENTRY_DATE": missing + pd.to_timedelta(rng.integers(0, 3, rows), unit="D"),
        "MISSING_DATE": missing, "CLEAR_DATE": clear.to_numpy(),
    })
    if kind == "accented":
        entries["LAST_NAME"] = second_kind.last_names(rng, rows)
        entries["FIRST_NAME"] = second_kind.first_names(rng, rows)
        entries["DFPS_PERSON_ID"] = second_kind.children(rng, rows, 1_000_000)
    return entries


def results_file(rows: int, folder: Path, kind: str) -> Path:
    """The simulated DPS's answer for a request naming every child of the store, cached per size
    and kind; of kind accented, its lines shuffled."""
    from dps_assets.embedded.simulated_dps import build_answer

    path = folder / (f"results-{rows}.txt" if kind == "ascii" else f"results-{kind}-{rows}.txt")
    if not path.exists():
        entries = synthetic_entries(rows, kind=kind)
        results = build_answer(entries["DFPS_PERSON_ID"].unique().tolist(), entries, QUARTER).results
        if kind == "accented":
            header, *lines, last = results.split(b"\r\n")
            lines = [lines[i] for i in np.random.default_rng(2).permutation(len(lines))]
            results = b"\r\n".join([header, *lines, last])
        path.write_bytes(results)
    return path


def run_one(which: str, path: Path) -> dict:
    """One measurement in this process: read the bytes, time the parse (or, `validation`, parse
    and time the asset's validation of the frame)."""
    data = path.read_bytes()
    if which == "validation":
        from dps_assets.core.dps_files.reading import parse_results
        from dps_assets.core.schemas import DPS_RESULTS_SCHEMA, check_frame

        frame = parse_results(data, FILE_NAME)
        began = time.perf_counter()
        check_frame(DPS_RESULTS_SCHEMA, frame, "dps_results")
    elif which == "ours":
        from dps_assets.core.dps_files.reading import parse_results

        began = time.perf_counter()
        frame = parse_results(data, FILE_NAME)
    else:
        import duckdb

        began = time.perf_counter()
        con = duckdb.connect()
        frame = con.execute(
            "select * from read_csv(?, delim='|', header=true, quote='', escape='', dateformat='%Y%m%d', "
            f"columns={DUCKDB_TYPES!r})", [str(path)]).fetchdf()
        con.close()
    elapsed = time.perf_counter() - began
    return {"seconds": elapsed, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rows": len(frame)}


def measure(path: Path, repeat: int) -> dict[str, tuple[float, float, int]]:
    """Anchor and ours taking turns (the machine's load then weighs on both alike)."""
    runs: dict[str, list[dict]] = {"duckdb": [], "ours": [], "validation": []}
    for _ in range(repeat):
        for which, done in runs.items():
            out = subprocess.run([sys.executable, __file__, "--run", which, "--file", str(path)],
                                 check=True, capture_output=True, text=True).stdout
            done.append(json.loads(out.strip().splitlines()[-1]))
    return {which: (statistics.median(r["seconds"] for r in done), max(r["peak_mib"] for r in done), done[0]["rows"])
            for which, done in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kind", choices=[*second_kind.KINDS, "both"], default="both")
    parser.add_argument("--run", choices=["ours", "duckdb", "validation"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run, args.file)))
        return
    folder = Path(tempfile.gettempdir()) / "dps-bench"
    folder.mkdir(mode=0o700, exist_ok=True)
    for kind in second_kind.KINDS if args.kind == "both" else (args.kind,):
        path = results_file(args.rows, folder, kind)
        print(f"results file, {kind}: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB; medians of {args.repeat}",
              flush=True)
        measured = measure(path, args.repeat)
        anchor, ours, checked = measured["duckdb"], measured["ours"], measured["validation"]
        print(f"  {'duckdb read_csv (typed, into pandas)':<50} {anchor[0]:8.2f} s   peak RSS {anchor[1]:7.0f} MiB",
              flush=True)
        print(f"  {'core.dps_files.reading.parse_results (§4 checks)':<50} {ours[0]:8.2f} s   "
              f"peak RSS {ours[1]:7.0f} MiB", flush=True)
        print(f"  {'  then its check (the dps_results Dagster type)':<50} {checked[0]:8.2f} s   "
              f"peak RSS {checked[1]:7.0f} MiB (parse included)", flush=True)
        assert ours[2] == anchor[2], (ours[2], anchor[2])
        print(f"  {'ratio ours / duckdb':<50} {ours[0] / anchor[0]:8.2f} x  (goal <= 2.0; peak RSS goal <= 1024 MiB)",
              flush=True)

if __name__ == "__main__":
    main()
