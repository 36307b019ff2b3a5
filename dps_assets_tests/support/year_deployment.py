"""The exchange deployed as production runs it, for a test that takes it through a year of
quarters and kills its processes on the way: PostgreSQL, the four processes the systemd units
start (deploy/dagster.yaml), the embedded SFTP server behind a link whose speed the test sets,
the simulated DPS (which the test may pause), and an SMTP relay that holds its answer to DATA
when the test asks it to.

`YearDeployment` starts all of it and is what the kill points act on: it submits and
re-executes runs as an operator would, finds the run the sensor started, tells where a run is
(in a step, waiting for a lock or a pool), kills a run's worker, and measures a crash's recovery
(the run failed, alerted, its pool slots freed)."""

from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from dps_assets.config.schema import load_config
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.embedded.demo import wait_for_quarter
from dps_assets.embedded.simulated_dps import REQUEST_NAME
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets.embedded.stack import EmbeddedStack, StackLayout, write_stack_config
from dps_assets.instance.critical_section import POOLS, exclusive
from dps_assets.instance.run_workers import recorded_worker
from dps_assets_tests.support.dagster_service import DagsterService
from dps_assets_tests.support.e2e_stack import stack_with_data
from dps_assets_tests.support.environment import environment
from dps_assets_tests.support.folder_watch import FolderWatch
from dps_assets_tests.support.holding_relay import HoldingRelay
from dps_assets_tests.support.postgres_server import PostgresServer
from dps_assets_tests.support.processes import wait_until_gone
from dps_assets_tests.support.servers import known_hosts_entry
from dps_assets_tests.support.throttled_link import ThrottledLink

PASSWORD = "year-test-only-password"
RECOVERY_LIMIT_S = 300  # issue 17's promise: a dead run is failed within 5 minutes of the services being up
Found = TypeVar("Found")


@dataclass(frozen=True)
class Crash:
    point: str  # the kill point
    quarter: FiscalQuarter
    run_id: str  # the run that was killed
    back_at: float  # time.monotonic() when what was killed was running again (the kill, for a run's worker)


@dataclass(frozen=True)
class Recovery:
    crash: Crash
    failed_after_s: float  # from back_at: the run marked FAILED
    alerted_after_s: float  # its alert in alerts.log
    freed_after_s: float  # its pool slots free

    @property
    def recovered_after_s(self) -> float:
        return max(self.failed_after_s, self.alerted_after_s, self.freed_after_s)


def wait_for(what: str, probe: Callable[[], Found], timeout_s: float, every_s: float = 0.5) -> Found:
    """Poll `probe` until it returns something (not None, False or empty)."""
    deadline = time.monotonic() + timeout_s
    while (found := probe()) in (None, False, [], ()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout_s:g} s")
        time.sleep(every_s)
    return found


class YearDeployment:
    def __init__(self, base: Path, embedded_data: Path, today: date):
        self.base, self.embedded_data, self.today = base, embedded_data, today
        self.layout = StackLayout(base)
        self._stack = ExitStack()

    def __enter__(self) -> YearDeployment:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def _start(self) -> None:
        enter = self._stack.enter_context
        layout, settings = stack_with_data(self.base, self.embedded_data, PASSWORD, self.today)
        postgres = enter(PostgresServer())
        self.stack = enter(EmbeddedStack(layout, settings))
        self.link = enter(ThrottledLink(self.stack.sftp_port))  # every SFTP connection crosses it
        _, public_key = layout.known_hosts.read_text().splitlines()[0].split(maxsplit=1)
        with open(layout.known_hosts, "a", encoding="ascii") as pins:  # the server's key, at the link's address
            pins.write(known_hosts_entry(self.link.port, public_key))
        self.relay = enter(HoldingRelay(layout.mailbox, holding=False))  # holds an answer to DATA when told
        config_path = write_stack_config(layout, self.link.port, self.relay.port, layout.base / "dps_config.yml")
        self.config = load_config(config_path)
        variables = {**postgres.env, "DPS_CONFIG": str(config_path), "DPS_SFTP_PASSWORD": PASSWORD}
        self.service = DagsterService(layout.base / "dagster_home", variables)
        enter(environment({**variables, "DAGSTER_HOME": str(self.service.home)}))
        self.service.set_pool_limits()
        # Every appearance of the request under its final name, all year: how often DPS was sent one.
        self.requests_watch = enter(FolderWatch(self.from_folder))
        self.requests_sent: list[str] = []  # a quarter label per request that appeared, as the checks read them
        enter(self.service)  # stopped before the stack's servers, which the sensor polls
        self.instance = enter(DagsterInstance.get())

    # -- where things are --------------------------------------------------------------------

    @property
    def from_folder(self) -> Path:
        return self.layout.sftp_root / self.config.sftp.from_folder.strip("/")

    @property
    def to_dfps(self) -> Path:
        return self.layout.sftp_root / self.config.sftp.to_dfps_folder.strip("/")

    @property
    def work_root(self) -> Path:
        return Path(self.config.directories.work_root)

    def new_requests(self) -> list[tuple[str, str]]:
        """The request appearing under its final name (renamed or linked into place) since the
        last call: each is one submission DPS may take."""
        return [e for e in self.requests_watch.events() if e[1] == REQUEST_NAME and e[0] in ("CREATE", "MOVED_TO")]

    @property
    def requests_taken_by_dps(self) -> list[Path]:
        received = self.layout.dps_state / "received"
        return sorted(received.glob(f"*_{REQUEST_NAME}")) if received.exists() else []

    def alerts(self) -> list[dict]:
        path = Path(self.config.directories.log_root, "alerts.log")
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def alerts_for(self, run_id: str) -> list[dict]:
        return [a for a in self.alerts() if (a.get("link") or "").endswith(run_id)]

    def emails(self) -> list:
        return read_mailbox(self.layout.mailbox)

    # -- runs, as an operator and the sensor start them ----------------------------------------

    def submit(self, job: str, quarter: FiscalQuarter, run_config: dict | None = None) -> str:
        wait_for_quarter(self.service.home, quarter, timeout_s=120)
        return self.service.submit(job, quarter.partition_key, tags={"fiscal_quarter": quarter.label},
                                   run_config=run_config)

    def reexecute(self, run_id: str) -> str:
        """Re-execute a run, all steps, as the runbook says (the run's page, Re-execute)."""
        query = ("mutation($p: ReexecutionParams!) { launchRunReexecution(reexecutionParams: $p) {"
                 " __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }")
        body = json.dumps({"query": query, "variables": {"p": {"parentRunId": run_id, "strategy": "ALL_STEPS"}}})
        request = urllib.request.Request(f"{self.service.url}/graphql", data=body.encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.load(response)["data"]["launchRunReexecution"]
        if answer["__typename"] != "LaunchRunSuccess":
            raise RuntimeError(f"re-executing {run_id}: {answer}")
        return answer["run"]["runId"]

    def sensor_run(self, quarter: FiscalQuarter, timeout_s: float = 300) -> str:
        """The receiving run the SFTP sensor starts for the quarter (the only one: the sensor
        starts one per pair of DPS files)."""
        def started_by_the_sensor():
            runs = self.instance.get_runs(RunsFilter(
                job_name="receive_from_dps",
                tags={"dagster/partition": quarter.partition_key, "dagster/sensor_name": "dps_files_sensor"}))
            return [run for run in runs if "dagster/parent_run_id" not in run.tags]  # not re-executions

        [run] = wait_for(f"the sensor's receiving run of {quarter.label}", started_by_the_sensor, timeout_s)
        return run.run_id

    def status(self, run_id: str) -> DagsterRunStatus:
        return self.instance.get_run_by_id(run_id).status

    def wait_success(self, run_id: str, timeout_s: float = 600) -> None:
        status = self.service.wait_for_run(run_id, timeout_s)
        assert status == "SUCCESS", f"run {run_id} ended {status}"

    def runs(self, *statuses: DagsterRunStatus) -> list:
        return self.instance.get_runs(RunsFilter(statuses=list(statuses)))

    # -- where a run is ----------------------------------------------------------------------

    def messages(self, run_id: str) -> list[tuple[str | None, str]]:
        """(step, message) of each event of the run so far."""
        return [(entry.step_key, entry.user_message or "") for entry in self.instance.all_logs(run_id)]

    def wait_in_step(self, run_id: str, step: str, saying: str, timeout_s: float = 300) -> None:
        """Until the run's step has logged a message containing `saying`."""
        def probe() -> bool:
            self._still_running(run_id)
            return any(s == step and saying in m for s, m in self.messages(run_id))

        wait_for(f"run {run_id[:8]} in {step} saying {saying!r}", probe, timeout_s)

    def wait_for_event(self, watch: FolderWatch, event: str, name: str | re.Pattern[str], run_id: str,
                       timeout_s: float = 300) -> str:
        """Until `watch` sees `event` of a file called `name`, while the run goes on; the name."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return watch.wait_for(event, name, timeout_s=min(5.0, max(0.0, deadline - time.monotonic())))[1]
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise
                self._still_running(run_id)

    def _still_running(self, run_id: str) -> None:
        status = self.status(run_id)
        if status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED):
            said = "\n".join(m for _, m in self.messages(run_id)[-8:])
            raise AssertionError(f"run {run_id} ended {status.value} before the kill point:\n{said}")

    def steps_started(self, run_id: str) -> set[str]:
        return {entry.step_key for entry in self.instance.all_logs(run_id, of_type=DagsterEventType.STEP_START)}

    def materialized_in(self, run_id: str) -> set[str]:
        return {entry.dagster_event.asset_key.to_user_string()
                for entry in self.instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)}

    @contextmanager
    def holding(self, lock: str) -> Iterator[None]:
        """The lock a guarded step takes (critical_section): a run reaching the step waits."""
        with exclusive(self.instance, lock):
            yield

    # -- killing and recovering ----------------------------------------------------------------

    def kill_worker(self, run_id: str) -> float:
        """SIGKILL to the run's worker process (what the kernel's out-of-memory killer does);
        returns the moment it was gone."""
        worker = wait_for(f"run {run_id[:8]}'s worker", lambda: recorded_worker(self.instance, run_id), 120)
        os.kill(worker.pid, signal.SIGKILL)
        wait_until_gone([worker.pid], timeout_s=30)
        return time.monotonic()

    @contextmanager
    def dps_paused(self) -> Iterator[None]:
        """The simulated DPS stopped (SIGSTOP) for the block: a request it has not taken stays."""
        assert self.stack.dps is not None
        os.killpg(self.stack.dps.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(self.stack.dps.pid, signal.SIGCONT)

    def recover(self, crash: Crash) -> Recovery:
        """Wait until the killed run is failed, alerted and its pool slots are free; check the
        alert says why and what to do."""
        run_id = crash.run_id
        wait_for(f"run {run_id} marked failed", lambda: self.status(run_id) == DagsterRunStatus.FAILURE,
                 RECOVERY_LIMIT_S)
        failed = time.monotonic() - crash.back_at
        [alert] = wait_for(f"an alert for run {run_id}", lambda: self.alerts_for(run_id), 120)
        alerted = time.monotonic() - crash.back_at
        wait_for(f"run {run_id}'s pool slots freed", lambda: not self._holds_slots(run_id), 180)
        freed = time.monotonic() - crash.back_at
        said = " ".join(alert["lines"])
        assert "worker died" in said or "was killed" in said, said
        assert "re-execute" in alert["what_to_do"].lower(), alert["what_to_do"]
        [email] = [m for m in self.emails() if "failed for" in m["Subject"] and run_id in m.get_content()]
        assert email["Subject"].endswith(f"failed for {crash.quarter.label}"), email["Subject"]
        return Recovery(crash, failed, alerted, freed)

    def _holds_slots(self, run_id: str) -> bool:
        for pool in POOLS:
            info = self.instance.event_log_storage.get_concurrency_info(pool)
            if run_id in info.active_run_ids | info.pending_run_ids:
                return True
        return False
