"""Matching (spec §6) and the three report frames at a million sa_98 events × a million DPS
entries, against the same §6 matching written in DuckDB SQL (the anchor), whose assignments
must be identical to ours.

Two kinds of input (`--kind`): `ascii`, names in DPS's ASCII spelling, about 4.8 events per
child, DPS's entries in NIC order as DPS sorts its file; `accented`, a fifth of the last names and
a quarter of the first names accented (some decomposed), 1 to 20 events per child, and the
entries in no particular order (bench/second_kind.py).

Both frames are generated once (cached under the temporary folder as pickles); each measurement
runs in a fresh process that loads them and times the work alone, so the peak RSS printed is
that implementation's (inputs included); medians of the repetitions.

    .venv/bin/python bench/bench_matching.py [--rows 1000000] [--repeat 3] [--kind ascii|accented|both]
"""

from __future__ import annotations

import argparse
import json
import pickle
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

QUARTER = FiscalQuarter(2026, 4)
TOLERANCE_DAYS = 7
EVENTS_PER_PERSON = 4.8  # about 5.7 pairs of the same person per entry (entries follow events)
ANCHOR_SQL = """
select e.NIC, r.RUNAWAY_EVENT_ID
from entries e join events r
  on e.DFPS_PERSON_ID = r.PERSON_ID
 and e.MISSING_DATE >= r.RUNAWAY_DATE - to_days($tolerance)
 and e.MISSING_DATE <= coalesce(r.RETURN_DATE, $window_end) + to_days($tolerance)
where e.MISSING_DATE between $window_start and $window_end
qualify row_number() over (partition by e.NIC
                           order by abs(epoch_ns(e.MISSING_DATE) - epoch_ns(r.RUNAWAY_DATE)),
                                    r.RUNAWAY_DATE, r.RUNAWAY_EVENT_ID) = 1
order by e.NIC
"""


def synthetic_frames(rows: int, seed: int = 1, kind: str = "ascii") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """sa_98 events and DPS entries of one fiscal year (most entries near an event of their child,
    some nowhere near one, some before the window), and the county lookup. `kind` accented:
    accented names, 1 to 20 events per child, entries not in NIC order."""
    from dps_assets.core.impact.regions import build_region_lookup
    from dps_assets.embedded.synthetic.counties import county_lookup_frame

    rng = np.random.default_rng(seed)
    lookup = build_region_lookup(county_lookup_frame().rename(columns={"sub_reg": "region"}))
    names = lookup["CNTY_NAME"].to_numpy(dtype=object)[rng.choice(len(lookup), 16, replace=False)]
    spellings = np.array([*names, *(n.upper() + " COUNTY" for n in names[:3]), "Out of State"], dtype=object)
    start = pd.Timestamp(QUARTER.fiscal_year_start)
    persons = max(1, int(rows / EVENTS_PER_PERSON))
    runaway = start + pd.to_timedelta(rng.integers(0, 365, rows), unit="D")
    returned = pd.Series(runaway + pd.to_timedelta(rng.integers(0, 45, rows), unit="D"))
    accented = kind == "accented"
    events = pd.DataFrame({
        "PERSON_ID": second_kind.children(rng, rows, 1) if accented else rng.integers(1, persons + 1, rows),
        "RUNAWAY_EVENT_ID": rng.permutation(rows) + 1,
        "FIRST_NAME": "JAN", "LAST_NAME": "DOE", "DOB": pd.Timestamp("2010-01-01"), "SEX": "M", "RACE": "W",
        "CNTY_NAME": spellings[rng.integers(0, len(spellings), rows)], "RUNAWAY_DATE": runaway,
        "RETURN_DATE": returned.where(rng.random(rows) < 0.8), "LIVING_ARRANGEMENT": "Foster Home"})
    if accented:
        persons = int(events["PERSON_ID"].max())
        events["LAST_NAME"] = second_kind.last_names(rng, rows)
        events["FIRST_NAME"] = second_kind.first_names(rng, rows)
    near = rng.integers(0, rows, rows)
    missing = (events["RUNAWAY_DATE"].to_numpy()[near]
               + pd.to_timedelta(rng.integers(-9, 10, rows), unit="D").to_numpy())
    elsewhere = rng.random(rows) < 0.1
    missing[elsewhere] = (start + pd.to_timedelta(rng.integers(-60, 365, int(elsewhere.sum())), unit="D")).to_numpy()
    entries = pd.DataFrame({
        "DFPS_PERSON_ID": np.where(elsewhere, rng.integers(1, persons + 1, rows),
                                   events["PERSON_ID"].to_numpy()[near]),
        "NIC": np.array([f"M{i:09d}" for i in rng.permutation(rows)], dtype=object),
        "LAST_NAME": "DOE", "FIRST_NAME": "JAN", "DOB": pd.Timestamp("2010-01-01"), "SEX": "M", "RACE": "W",
        "MKE": "EMJ", "ORI": "TX0000000", "AGENCY_COUNTY": spellings[rng.integers(0, len(spellings), rows)],
        "ENTRY_DATE": missing, "MISSING_DATE": missing, "CLEAR_DATE": pd.NaT})
    if accented:
        entries["LAST_NAME"] = second_kind.last_names(rng, rows)
        entries["FIRST_NAME"] = second_kind.first_names(rng, rows)
    else:
        entries = entries.sort_values("NIC", kind="stable").reset_index(drop=True)  # DPS sorts by NIC
    return events, entries, lookup


STEPS = ("match_entries", "impact_not_in_dps", "dps_not_in_impact", "dps_total_runaway_events")


def ours(events: pd.DataFrame, entries: pd.DataFrame, lookup: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """The assignments, and the seconds each step took: the matching, then the three report frames."""
    from dps_assets.core.reconciliation.matching import match_entries
    from dps_assets.core.reconciliation.reports import dps_not_in_impact, dps_total_runaway_events, impact_not_in_dps

    times = [time.perf_counter()]
    match = match_entries(entries, events, QUARTER.window_start, QUARTER.window_end, TOLERANCE_DAYS)
    times.append(time.perf_counter())
    impact_not_in_dps(events, match, lookup, QUARTER)
    times.append(time.perf_counter())
    dps_not_in_impact(match, lookup)
    times.append(time.perf_counter())
    dps_total_runaway_events(match, lookup, QUARTER)
    times.append(time.perf_counter())
    return match.assignments, dict(zip(STEPS, np.diff(times).tolist(), strict=True))


def anchor(events: pd.DataFrame, entries: pd.DataFrame, threads: int | None = None) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect()
    if threads:  # DuckDB uses every core by default; ours is one thread
        con.execute(f"SET threads TO {int(threads)}")
    con.register("events", events[["PERSON_ID", "RUNAWAY_EVENT_ID", "RUNAWAY_DATE", "RETURN_DATE"]])
    con.register("entries", entries[["NIC", "DFPS_PERSON_ID", "MISSING_DATE"]])
    found = con.execute(ANCHOR_SQL, {"tolerance": TOLERANCE_DAYS,
                                     "window_start": pd.Timestamp(QUARTER.window_start),
                                     "window_end": pd.Timestamp(QUARTER.window_end)}).fetchdf()
    con.close()
    return found


def run_one(which: str, inputs: Path, output: Path) -> dict:
    events, entries, lookup = pickle.loads(inputs.read_bytes())
    began = time.perf_counter()
    if which == "ours":
        assignments, steps = ours(events, entries, lookup)
    else:
        assignments, steps = anchor(events, entries, 1 if which == "duckdb-1-thread" else None), {}
    elapsed = time.perf_counter() - began
    output.write_bytes(pickle.dumps(assignments))
    return {"seconds": elapsed, "steps": steps, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def measure(inputs: Path, repeat: int) -> dict[str, dict]:
    """Anchor and ours taking turns (the machine's load then weighs on both alike)."""
    runs: dict[str, list[dict]] = {"duckdb": [], "duckdb-1-thread": [], "ours": []}
    for _ in range(repeat):
        for which, done in runs.items():
            output = inputs.with_name(f"{which}-assignments.pickle")
            out = subprocess.run([sys.executable, __file__, "--run", which, "--inputs", str(inputs),
                                  "--output", str(output)], check=True, capture_output=True, text=True).stdout
            done.append(json.loads(out.strip().splitlines()[-1]))
    return {which: {"seconds": statistics.median(r["seconds"] for r in done),
                    "steps": {step: statistics.median(r["steps"][step] for r in done) for step in done[0]["steps"]},
                    "peak_mib": max(r["peak_mib"] for r in done),
                    "assignments": pickle.loads(inputs.with_name(f"{which}-assignments.pickle").read_bytes())}
            for which, done in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="events, and as many entries")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kind", choices=[*second_kind.KINDS, "both"], default="both")
    parser.add_argument("--run", choices=["ours", "duckdb", "duckdb-1-thread"], help=argparse.SUPPRESS)
    parser.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run, args.inputs, args.output)))
        return
    folder = Path(tempfile.gettempdir()) / "dps-bench"
    folder.mkdir(mode=0o700, exist_ok=True)
    differ = False
    for kind in second_kind.KINDS if args.kind == "both" else (args.kind,):
        inputs = folder / (f"matching-{args.rows}.pickle" if kind == "ascii" else f"matching-{kind}-{args.rows}.pickle")
        if not inputs.exists():
            inputs.write_bytes(pickle.dumps(synthetic_frames(args.rows, kind=kind)))
        differ |= not bench_kind(kind, inputs, args.rows, args.repeat)
    if differ:
        sys.exit(1)


def bench_kind(kind: str, inputs: Path, rows: int, repeat: int) -> bool:
    """One kind of input: prints the figures, and whether the assignments are DuckDB's."""
    events, entries, _ = pickle.loads(inputs.read_bytes())
    pairs = int(entries["DFPS_PERSON_ID"].map(events["PERSON_ID"].value_counts()).fillna(0).sum())
    print(f"{kind}: {rows:,} sa_98 events x {rows:,} DPS entries ({pairs:,} pairs of the same person), "
          f"tolerance {TOLERANCE_DAYS} days, {QUARTER.label}; medians of {repeat}", flush=True)
    del events, entries
    measured = measure(inputs, repeat)
    anchor_s, anchor_mib, expected = (measured["duckdb"][k] for k in ("seconds", "peak_mib", "assignments"))
    ours_s, ours_mib, got = (measured["ours"][k] for k in ("seconds", "peak_mib", "assignments"))
    print(f"  {'DuckDB SQL §6 matching (anchor)':<56} {anchor_s:8.2f} s   peak RSS {anchor_mib:7.0f} MiB")
    print(f"  {'core.reconciliation.matching + the three report frames':<56} {ours_s:8.2f} s   "
          f"peak RSS {ours_mib:7.0f} MiB")
    for step, seconds in measured["ours"]["steps"].items():
        print(f"  {'  of which ' + step:<56} {seconds:8.2f} s")
    same = got.reset_index(drop=True).equals(expected[["NIC", "RUNAWAY_EVENT_ID"]].astype(got.dtypes.to_dict()))
    print(f"  {'assignments identical to the anchor':<56} {same} ({len(got):,} ours, {len(expected):,} DuckDB)")
    print(f"  {'ratio ours / DuckDB':<56} {ours_s / anchor_s:8.2f} x  (goal <= 2.0; peak RSS goal <= 2048 MiB)")
    one_thread = measured["duckdb-1-thread"]["seconds"]
    print(f"  {'  DuckDB on one thread, as ours runs':<45} {one_thread:8.2f} s   ratio {ours_s / one_thread:5.2f} x",
          flush=True)
    return same


if __name__ == "__main__":
    main()
