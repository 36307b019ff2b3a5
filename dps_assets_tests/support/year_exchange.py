"""The exchange through consecutive quarters on a `YearDeployment`, with kill points on the way,
and what must hold after each quarter and at the end of the year.

Each quarter is sent, answered by the simulated DPS, handed by the sensor to a receiving run and
emailed, as in production. A quarter's plan may put a kill point in either half: the run is
killed there, its recovery measured (`Recovery`), and the operator's action (re-executing the
run) completes the half. After each quarter: it was submitted once (one record; one request
appeared on DPS's server, and DPS took it) and emailed once, nothing of ours is left on DPS's
server, its answer was moved aside, no working copy of its children's records is left, no run of
it is in flight. After the year: no run is left in flight, every killed run was failed and
alerted once, and no other run failed or alerted but those a guard refused on purpose."""

from __future__ import annotations

import statistics
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetKey, DagsterRunStatus, RunsFilter

from dps_assets.assets.report_delivery import PERSONAL_FRAMES
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.resources.local_files import FROM_DPS, TO_DPS
from dps_assets_tests.support.year_deployment import Recovery, YearDeployment
from dps_assets_tests.support.year_kill_points import (
    RECEIVING,
    SENDING,
    AfterTheRename,
    BetweenSteps,
    CodeServer,
    EveryProcess,
    KillPoint,
    MidEmailAfterData,
    MidFetch,
    MidUpload,
    Worker,
    report_subject,
    submissions_of,
)

HISTORY_JOB = "refresh_quarterly_history"
IN_FLIGHT = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
             DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


@dataclass
class QuarterPlan:
    quarter: FiscalQuarter
    sending: KillPoint | None = None
    receiving: KillPoint | None = None


@dataclass
class QuarterOutcome:
    quarter: FiscalQuarter
    took_s: float
    recoveries: list[Recovery] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # runs a guard failed on purpose (alerted too)


def year_plan(last: FiscalQuarter, mode: str) -> list[QuarterPlan]:
    """Five quarters ending with `last` (from FY2025-Q4 for FY2026-Q4: across a Q4 -> Q1 turn),
    eight kill points; `ci` the first two quarters (still across the turn) and their four."""
    quarters = [last]
    while len(quarters) < 5:
        quarters.insert(0, quarters[0].previous())
    plans = [QuarterPlan(quarters[0], MidUpload(), MidFetch()),
             QuarterPlan(quarters[1], AfterTheRename(), MidEmailAfterData()),
             QuarterPlan(quarters[2], BetweenSteps(), CodeServer()),
             QuarterPlan(quarters[3], EveryProcess(), Worker()),
             QuarterPlan(quarters[4])]
    if mode == "full":
        return plans
    if mode == "ci":
        return plans[:2]
    raise ValueError(f"unknown year-test mode {mode!r}: ci or full")


def run_quarter(dep: YearDeployment, plan: QuarterPlan) -> QuarterOutcome:
    quarter, started = plan.quarter, time.monotonic()
    outcome = QuarterOutcome(quarter, 0.0)
    sending, receiving = plan.sending, plan.receiving
    with ExitStack() as held:
        for point in (sending, receiving):
            if point is not None:
                held.callback(point.release)
        if sending is not None:
            assert sending.half == SENDING
            sending.prepare(dep, quarter)
            crash = sending.crash(dep, quarter, lambda: dep.submit("send_to_dps", quarter))
            outcome.recoveries.append(dep.recover(crash))
        if receiving is not None:
            assert receiving.half == RECEIVING
            receiving.prepare(dep, quarter)  # before the sensor can start the receiving run
        if sending is not None:
            sending.finish(dep, quarter, crash)
        else:
            dep.wait_success(dep.submit("send_to_dps", quarter))
        if receiving is not None:
            crash = receiving.crash(dep, quarter, lambda: dep.sensor_run(quarter))
            outcome.recoveries.append(dep.recover(crash))
            receiving.finish(dep, quarter, crash)
        else:
            dep.wait_success(dep.sensor_run(quarter))
    outcome.took_s = time.monotonic() - started
    outcome.refused = [run for point in (sending, receiving) if point is not None for run in point.refused]
    return outcome


def working_copies(dep: YearDeployment, quarter: FiscalQuarter) -> list[Path]:
    """What `remove_working_copies` removes once a quarter is delivered, as far as it exists."""
    root = dep.work_root
    places = [root / half / quarter.tag for half in (TO_DPS, FROM_DPS)]
    places += [root / "dagster-storage" / frame / quarter.partition_key for frame in PERSONAL_FRAMES]
    return [place for place in places if place.exists()]


def check_quarter_delivered(dep: YearDeployment, quarter: FiscalQuarter) -> None:
    assert len(submissions_of(dep, quarter)) == 1, f"{quarter.label} not submitted once"
    appeared = dep.new_requests()
    assert len(appeared) == 1, f"{quarter.label}: DPS's server saw {len(appeared)} requests: {appeared}"
    dep.requests_sent.append(quarter.label)
    assert len(dep.requests_taken_by_dps) == len(dep.requests_sent)  # and DPS took it
    reports = [m for m in dep.emails() if m["Subject"] == report_subject(quarter)]
    assert len(reports) == 1, f"{quarter.label} emailed {len(reports)} times"
    # DPS took the request and answered: nothing of ours is left in its folder (no request, no
    # cut upload, no older request moved aside), and its answer was archived and moved aside.
    left = sorted(p.name for p in dep.from_folder.iterdir())
    assert left == [], f"{quarter.label}: left on DPS's server: {left}"
    answer = sorted(p.name for p in dep.to_dfps.iterdir() if p.is_file())
    assert answer == [], f"{quarter.label}: DPS's answer not moved aside: {answer}"
    copies = working_copies(dep, quarter)
    assert copies == [], f"{quarter.label}: working copies left: {copies}"
    in_flight = dep.instance.get_runs(RunsFilter(tags={"dagster/partition": quarter.partition_key},
                                                 statuses=IN_FLIGHT))
    assert in_flight == [], [r.run_id for r in in_flight]


def check_year(dep: YearDeployment, outcomes: list[QuarterOutcome]) -> None:
    quarters = [o.quarter.label for o in outcomes]
    wait_for_the_history(dep, quarters)
    assert dep.new_requests() == [] and dep.requests_sent == quarters  # one request a quarter, all year
    assert len(dep.requests_taken_by_dps) == len(quarters)
    assert dep.runs(*IN_FLIGHT) == []
    killed = {r.crash.run_id for o in outcomes for r in o.recoveries}
    refused = {run_id for o in outcomes for run_id in o.refused}
    failed = {run.run_id for run in dep.runs(DagsterRunStatus.FAILURE)}
    # A refresh of the history that was running when every process was killed dies with them; the
    # history sensor asks for it again (wait_for_the_history saw the history count every quarter).
    history = {run.run_id for run in dep.runs(DagsterRunStatus.FAILURE) if run.job_name == HISTORY_JOB}
    assert failed - history == killed | refused, \
        f"runs failed that were not killed: {sorted(failed - history - killed - refused)}"
    for run_id in killed | refused | history:
        assert len(dep.alerts_for(run_id)) == 1, run_id
    alerted = {(a.get("link") or "").rsplit("/", 1)[-1] for a in dep.alerts()}
    assert alerted == killed | refused | history, \
        f"alerts for runs that did not fail: {sorted(alerted - killed - refused - history)}"


def wait_for_the_history(dep: YearDeployment, quarters: list[str], timeout_s: float = 300) -> None:
    """Until the history across quarters counts every quarter delivered (its sensor refreshes it a
    minute or so after each delivery, and again after a refresh killed on the way)."""
    deadline = time.monotonic() + timeout_s
    covered: list[str] = []
    while time.monotonic() < deadline:
        event = dep.instance.get_latest_materialization_event(AssetKey("quarterly_history"))
        materialisation = event.asset_materialization if event else None
        covered = list(materialisation.metadata["quarters_covered"].value) if materialisation else []
        if set(quarters) <= set(covered) and not dep.instance.get_runs(
                RunsFilter(job_name=HISTORY_JOB, statuses=IN_FLIGHT)):
            return
        time.sleep(2)
    raise AssertionError(f"the history counts {covered}, not every quarter delivered {quarters}")


def figures(outcomes: list[QuarterOutcome]) -> str:
    """The year's figures: each crash's recovery, each quarter's time."""
    lines = [f"{'kill point':<21} {'quarter':<10} {'run':<9} {'failed':>8} {'alerted':>8} {'freed':>8}"]
    for outcome in outcomes:
        for r in outcome.recoveries:
            lines.append(f"{r.crash.point:<21} {outcome.quarter.label:<10} {r.crash.run_id[:8]:<9} "
                         f"{r.failed_after_s:7.0f}s {r.alerted_after_s:7.0f}s {r.freed_after_s:7.0f}s")
    recoveries = [r.recovered_after_s for o in outcomes for r in o.recoveries]
    if recoveries:
        lines.append(f"restart -> recovered (failed, alerted, slots free): {min(recoveries):.0f} .. "
                     f"{max(recoveries):.0f} s, median {statistics.median(recoveries):.0f} s")
    lines += [f"{o.quarter.label}: {o.took_s:.0f} s, {len(o.recoveries)} crash(es)" for o in outcomes]
    lines.append(f"year: {sum(o.took_s for o in outcomes):.0f} s for {len(outcomes)} quarters")
    return "\n".join(lines)
