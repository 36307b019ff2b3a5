"""The year test in full (issue 17 §8): five quarters, FY2025-Q4 to FY2026-Q4 (across the
FY2025 -> FY2026 turn), on PostgreSQL with the four processes the systemd units start, the
sensor picking up the simulated DPS's answers, and eight kill points on the way. The same code as
dps_assets_tests/end_to_end/test_year.py (whose CI mode takes the first two quarters), with every
check the test makes; it prints, for each crash, the time from the restart (the kill itself, for
a run's worker) until the killed run was marked failed, its alert written and its pool slots
free, and each quarter's time.

    .venv/bin/python bench/bench_year.py [--mode full|ci] [--keep]

It runs on the test suite's synthetic data (seed 11, FY2025 on, scale 0.05), built in a
temporary folder, and uses the shipped instance file (run monitoring every 30 s)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, machine

sys.path.insert(0, str(REPO))
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.embedded.warehouse import build_embedded_data
from dps_assets_tests.conftest import TODAY
from dps_assets_tests.support.year_deployment import YearDeployment
from dps_assets_tests.support.year_exchange import check_quarter_delivered, check_year, figures, run_quarter, year_plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("full", "ci"), default="full")
    parser.add_argument("--keep", action="store_true", help="keep the folder (logs, archive, mail) afterwards")
    args = parser.parse_args()
    print(f"machine: {machine()}; year test, {args.mode}", flush=True)
    base = Path(tempfile.mkdtemp(prefix="bench-year-"))
    outcomes = []
    started = time.monotonic()
    try:
        data = base / "data"
        build_embedded_data(data, seed=11, first_fiscal_year=2025, last_day=TODAY, scale=0.05)  # conftest's
        with YearDeployment(base / "year", data, TODAY) as deployment:
            up = time.monotonic() - started
            print(f"PostgreSQL, the embedded stack and the four processes up in {up:.0f} s", flush=True)
            for plan in year_plan(FiscalQuarter.latest_closed(TODAY), args.mode):
                outcomes.append(run_quarter(deployment, plan))
                check_quarter_delivered(deployment, plan.quarter)
                print(f"  {plan.quarter.label} delivered in {outcomes[-1].took_s:.0f} s", flush=True)
            check_year(deployment, outcomes)
        print(f"\nall checks held; {time.monotonic() - started:.0f} s in all\n")
    finally:
        print(figures(outcomes), flush=True)
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
