"""The receiving half's pure steps on a large synthetic DPS answer: parsing the results file,
matching against a fiscal year of runaway events, building the three reports and workbooks.

    .venv/bin/python bench/bench_receiving.py [--entries 100000] [--events 20000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import measured
from dps_assets.core.dps_files.reading import parse_results
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.impact.regions import build_region_lookup
from dps_assets.core.reconciliation.matching import match_entries
from dps_assets.core.reconciliation.reports import dps_not_in_impact, dps_total_runaway_events, impact_not_in_dps
from dps_assets.core.workbooks.writer import About, Sheet, write_workbook
from dps_assets.embedded.synthetic.counties import county_lookup_frame

HEADER = "DFPS_PERSON_ID|NIC|LAST_NAME|FIRST_NAME|DOB|SEX|RACE|MKE|ORI|AGENCY_COUNTY|ENTRY_DATE|MISSING_DATE|CLEAR_DATE"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    quarter = FiscalQuarter(2026, 4)
    start = pd.Timestamp(quarter.window_start)
    lookup = build_region_lookup(county_lookup_frame().rename(columns={"sub_reg": "region"}))
    counties = lookup["CNTY_NAME"].tolist()
    persons = rng.integers(1, args.events, args.entries)
    missing = start + pd.to_timedelta(rng.integers(0, 365, args.entries), unit="D")
    lines = [HEADER] + [
        f"{p}|M{i:09d}|DOE|JAN|20100101|M|W|EMJ|TX0000000|{counties[i % len(counties)]}|{d:%Y%m%d}|{d:%Y%m%d}|"
        for i, (p, d) in enumerate(zip(persons, missing, strict=True))]
    data = ("\r\n".join(lines) + "\r\n").encode()
    events = pd.DataFrame({
        "PERSON_ID": np.arange(1, args.events + 1), "RUNAWAY_EVENT_ID": np.arange(1, args.events + 1),
        "FIRST_NAME": "JAN", "LAST_NAME": "DOE", "DOB": pd.Timestamp("2010-01-01"), "SEX": "M", "RACE": "W",
        "CNTY_NAME": [counties[i % len(counties)] for i in range(args.events)],
        "RUNAWAY_DATE": start + pd.to_timedelta(rng.integers(0, 365, args.events), unit="D"),
        "LIVING_ARRANGEMENT": "Foster Home"})
    events["RETURN_DATE"] = events["RUNAWAY_DATE"] + pd.to_timedelta(rng.integers(1, 60, args.events), unit="D")

    with measured(f"parse results file ({len(data) / 1e6:.1f} MB, {args.entries} entries)"):
        results = parse_results(data, "Dfps-missing-person-results.txt")
    with measured(f"match against {args.events} events"):
        match = match_entries(results, events, quarter.window_start, quarter.window_end, 7)
    with measured("three report frames"):
        impact = impact_not_in_dps(events, match, lookup, quarter)
        dps = dps_not_in_impact(match, lookup)
        totals = dps_total_runaway_events(match, lookup, quarter)
    with tempfile.TemporaryDirectory() as folder, measured("three workbooks"):
        for name, frame in (("impact", impact), ("dps", dps), ("totals", totals)):
            write_workbook(Path(folder) / f"{name}.xlsx", [Sheet("Data", frame)], About((("Rows", len(frame)),)))
    print(f"{'':45} {len(match.assignments)} assigned, {len(dps)} unassigned, {len(impact)} IMPACT-only")


if __name__ == "__main__":
    main()
