"""The year test (issue 17 §8): the exchange through consecutive quarters across a Q4 -> Q1 turn,
on PostgreSQL with the four processes the systemd units start, the sensor picking up the
simulated DPS's answers, and its processes SIGKILLed at chosen points on the way.

Kill points (support/year_kill_points.py), each reached by waiting for something observable:
mid-upload (bytes landing in the temporary file on DPS's server), after the rename (the request
under its final name while the test holds the event log closed to writes), mid-fetch (DPS's
results file being read out over a slowed link), mid-email after DATA (the relay has the
message and holds its 250), between steps (the next step waiting for the pool's slot, which
another run holds), a run's worker, the code server, and every process at once (a run waiting
for a lock the test holds), each followed by what systemd and an operator do (re-execute; for
the email, `email_arrived` once the re-execution has refused). After each quarter: submitted
once, emailed once, nothing of ours on DPS's server, no working copy left, nothing in flight;
after the year: every killed run failed and alerted once.

`DPS_YEAR_TEST=ci` (the default: what `bin/test` runs) takes two quarters (FY2025-Q4, FY2026-Q1)
and their kill points; `DPS_YEAR_TEST=full` five quarters and eight points, which
bench/bench_year.py runs and whose figures docs/performance.md gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets_tests.conftest import TODAY
from dps_assets_tests.support.year_deployment import YearDeployment
from dps_assets_tests.support.year_exchange import check_quarter_delivered, check_year, figures, run_quarter, year_plan

pytestmark = pytest.mark.e2e
MODE = os.environ.get("DPS_YEAR_TEST", "ci")


def test_a_year_of_quarters_with_its_processes_killed_on_the_way(tmp_path: Path, embedded_data: Path):
    plans = year_plan(FiscalQuarter.latest_closed(TODAY), MODE)
    assert any((a.quarter.quarter, b.quarter.quarter) == (4, 1) for a, b in zip(plans, plans[1:], strict=False)), \
        "the quarters cross no Q4 -> Q1 turn"
    outcomes = []
    with YearDeployment(tmp_path / "year", embedded_data, TODAY) as deployment:
        try:
            for plan in plans:
                outcomes.append(run_quarter(deployment, plan))
                check_quarter_delivered(deployment, plan.quarter)
            check_year(deployment, outcomes)
        finally:
            print(f"\nyear test ({MODE}):\n{figures(outcomes)}")
