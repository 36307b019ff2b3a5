"""A run whose worker died is failed by Dagster's run monitoring, not left STARTED for ever.

Dagster's default run launcher cannot tell whether a run's worker is alive: a worker killed with
its code server (a host crash, an out-of-memory kill of the unit), or a `dg launch` process
killed, leaves its run STARTED, its pool slot held, and every later upload or delivery waiting.
So the exchange's runs record their worker, and its launcher answers run monitoring's question:

- `recorded_in_process_executor` (the code location's executor, for every job and for runs of
  the asset graph) first records which process executes the run: host, boot, process id and
  start time (instance.worker_process), as an engine event of the run;
- `WorkerCheckingRunLauncher` is Dagster's default launcher (runs start in the code server) that
  also implements `check_run_worker_health` from that record. The daemon's run monitoring asks it
  about every STARTED run each `poll_interval_seconds`; a worker that is gone makes the daemon
  mark the run failed (the failure alert then says so on every channel) and, after
  `free_slots_after_run_end_seconds`, free its pool slots.

Why this and not `dagster/max_runtime`: a time limit cannot tell a slow upload from a dead one,
and would fail healthy runs or wait for hours. Why not another launcher (Docker, Kubernetes):
the service is one host with systemd units. The check needs the worker on the daemon's host,
which a single-host service guarantees; a worker on another host is reported RUNNING and left to
that platform's own launcher."""

from __future__ import annotations

import time
from collections.abc import Iterator

from dagster import DagsterEventType, DagsterRun, DefaultRunLauncher, executor
from dagster._core.definitions.executor_definition import IN_PROC_CONFIG, _core_in_process_executor_creation
from dagster._core.events import DagsterEvent, EngineEventData
from dagster._core.execution.context.system import PlanOrchestrationContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.executor.in_process import InProcessExecutor
from dagster._core.launcher.base import CheckRunHealthResult, WorkerStatus

from dps_assets.instance.worker_process import Liveness, WorkerIdentity, worker_state

WORKER_RECORD = "Run worker"
# A run is STARTED a moment before its executor records the worker: until this many seconds after
# the run started, a run with no record is given the benefit of the doubt.
RECORD_GRACE_S = 120.0


class _RecordingInProcessExecutor(InProcessExecutor):
    def execute(self, plan_context: PlanOrchestrationContext,
                execution_plan: ExecutionPlan) -> Iterator[DagsterEvent]:
        worker = WorkerIdentity.of_this_process()
        yield DagsterEvent.engine_event(
            plan_context, f"{WORKER_RECORD}: {worker.describe()}",
            event_specific_data=EngineEventData(metadata=worker.to_metadata()))
        yield from super().execute(plan_context, execution_plan)


@executor(name="in_process", config_schema=IN_PROC_CONFIG)
def recorded_in_process_executor(init_context) -> InProcessExecutor:
    """Dagster's in-process executor (one process per run, the steps sharing it) that first
    records the run's worker for `WorkerCheckingRunLauncher`."""
    plain = _core_in_process_executor_creation(init_context.executor_config)
    return _RecordingInProcessExecutor(plain.retries, plain.step_dependency_config, plain.marker_to_close)


def recorded_worker(instance, run_id: str) -> WorkerIdentity | None:
    """The worker a run recorded, the latest if it recorded more than one (a resumed run)."""
    found = None
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        event = entry.dagster_event
        if event is None or not (event.message or "").startswith(WORKER_RECORD):
            continue
        metadata = {key: value.value for key, value in event.engine_event_data.metadata.items()}
        found = WorkerIdentity.from_metadata(metadata) or found
    return found


class WorkerCheckingRunLauncher(DefaultRunLauncher):
    """Dagster's default run launcher, plus the worker health check run monitoring uses."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        worker = recorded_worker(self._instance, run.run_id)
        if worker is None:
            record = self._instance.get_run_record_by_id(run.run_id)
            started = (record.start_time if record else None) or time.time()
            if time.time() - started < RECORD_GRACE_S:
                return CheckRunHealthResult(WorkerStatus.RUNNING, "the run worker has not recorded itself yet")
            return CheckRunHealthResult(WorkerStatus.FAILED, "the run worker is gone: it died before it "
                                        f"recorded itself, {RECORD_GRACE_S:.0f} s after the run started")
        state = worker_state(worker)
        if state.liveness is Liveness.GONE:
            return CheckRunHealthResult(WorkerStatus.FAILED, state.why, run_worker_id=str(worker.pid))
        return CheckRunHealthResult(WorkerStatus.RUNNING, state.why, run_worker_id=str(worker.pid))
