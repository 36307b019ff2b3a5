"""A run whose worker died is seen, reported and cleared, whatever killed it: the worker alone, a
`dg launch` process, the code server with its workers, every process of the service at once.

On PostgreSQL, with the four processes the systemd units start and the shipped instance file.
Each run is held inside `dps_submission` (the test holds the DPS-folder lock the step waits for),
so it is STARTED with its pool slot claimed when it is killed. Then, within 5 minutes of the
services being up: the run is FAILED, the alert (alert file and email) says its worker died and
what to do, its pool slot is free, the next run of the quarter goes ahead, and the next delivery
removes the quarter's working copies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, EventRecordsFilter
from dagster_graphql import ReloadRepositoryLocationStatus

from dps_assets.assets.report_delivery import PERSONAL_FRAMES
from dps_assets.config.schema import load_config
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.embedded.demo import run_quarter
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets.embedded.stack import EmbeddedStack, StackLayout
from dps_assets.instance.critical_section import DPS_FOLDER, exclusive
from dps_assets.instance.ledger import recorded_submissions
from dps_assets.instance.run_workers import recorded_worker
from dps_assets.instance.worker_process import WorkerIdentity
from dps_assets_tests.conftest import TODAY
from dps_assets_tests.support.dagster_service import REPO, DagsterService, unit_settings
from dps_assets_tests.support.e2e_stack import stack_config, stack_with_data
from dps_assets_tests.support.postgres_server import PostgresServer

pytestmark = pytest.mark.e2e
QUARTER = FiscalQuarter.latest_closed(TODAY)
PASSWORD = "dead-worker-test-only-password"
RECOVERY_LIMIT_S = 300  # the promise: failed within 5 minutes of the services being up


class Deployment:
    def __init__(self, base: Path, service: DagsterService, config: Path):
        self.base, self.service, self.config = base, service, load_config(config)
        self.mailbox = StackLayout(base).mailbox

    @property
    def alert_lines(self) -> list[dict]:
        path = Path(self.config.directories.log_root, "alerts.log")
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, embedded_data: Path) -> Iterator[Deployment]:
    layout, settings = stack_with_data(tmp_path_factory.mktemp("dead_workers"), embedded_data, PASSWORD, TODAY)
    with PostgresServer() as postgres, EmbeddedStack(layout, settings) as stack, pytest.MonkeyPatch.context() as env:
        config = stack_config(layout, stack)
        variables = {**postgres.env, "DPS_CONFIG": str(config), "DPS_SFTP_PASSWORD": PASSWORD}
        for name, value in variables.items():
            env.setenv(name, value)
        service = DagsterService(layout.base / "dagster_home", variables)
        env.setenv("DAGSTER_HOME", str(service.home))
        service.set_pool_limits()
        with service:
            deployment = Deployment(layout.base, service, config)
            outcome = run_quarter(layout, service, QUARTER, timeout_s=600)  # sent, answered, emailed once
            assert len(outcome.emails) == 1
            yield deployment
            service.stop()  # before the stack, whose servers the sensor polls


@contextmanager
def dps_folder_held() -> Iterator[None]:
    """The lock dps_submission takes before it checks and uploads: a run reaching it waits."""
    with DagsterInstance.get() as instance, exclusive(instance, DPS_FOLDER):
        yield


def wait_for(what: str, probe, timeout_s: float, every_s: float = 0.5):
    deadline = time.monotonic() + timeout_s
    while (found := probe()) in (None, False, []):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout_s:g} s")
        time.sleep(every_s)
    return found


def held_in_submission(run_id: str) -> WorkerIdentity:
    """Until the run's worker has recorded itself and started dps_submission."""
    with DagsterInstance.get() as instance:
        def probe():
            started = instance.get_event_records(EventRecordsFilter(DagsterEventType.STEP_START), limit=50)
            if not any(r.run_id == run_id and r.event_log_entry.step_key == "dps_submission" for r in started):
                return None
            return recorded_worker(instance, run_id)
        return wait_for(f"run {run_id} in dps_submission", probe, timeout_s=300)


def assert_failed_alerted_and_freed(deployment: Deployment, run_id: str, services_up: float) -> float:
    """The run is FAILED within the limit of `services_up`; returns how long that took."""
    with DagsterInstance.get() as instance:
        wait_for(f"run {run_id} marked failed",
                 lambda: instance.get_run_by_id(run_id).status == DagsterRunStatus.FAILURE,
                 timeout_s=RECOVERY_LIMIT_S)
        recovered_after = time.monotonic() - services_up
        wait_for(f"run {run_id}'s pool slot freed",
                 lambda: run_id not in instance.event_log_storage.get_concurrency_info(DPS_FOLDER).active_run_ids
                 or None, timeout_s=120)
    [alert] = wait_for(f"an alert for run {run_id}",
                       lambda: [a for a in deployment.alert_lines if (a["link"] or "").endswith(run_id)], 120)
    said = " ".join(alert["lines"])
    assert "worker died" in said or "was killed" in said, said
    assert "re-execute" in alert["what_to_do"].lower()
    [email] = [m for m in read_mailbox(deployment.mailbox)
               if "failed for" in m["Subject"] and run_id in m.get_content()]
    assert email["Subject"].endswith(f"failed for {QUARTER.label}")
    return recovered_after


def test_a_killed_worker_is_failed_alerted_and_its_slot_freed(deployment):
    with dps_folder_held():
        run_id = deployment.service.submit("send_to_dps", QUARTER.partition_key)
        worker = held_in_submission(run_id)
        os.kill(worker.pid, signal.SIGKILL)
        assert_failed_alerted_and_freed(deployment, run_id, time.monotonic())


def test_a_killed_dg_launch_run_is_failed_alerted_and_its_slot_freed(deployment):
    command = [str(Path(sys.executable).with_name("dg")), "launch", "--assets", "group:to_dps",
               "--partition", QUARTER.partition_key, "-m", "dps_assets.definitions"]
    with dps_folder_held():
        launched = subprocess.Popen(command, cwd=REPO, env={**os.environ, **deployment.service.env},
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            with DagsterInstance.get() as instance:
                known = {r.run_id for r in instance.get_runs()}
                run = wait_for("the CLI's run",
                               lambda: [r for r in instance.get_runs() if r.run_id not in known], 300)[0]
            held_in_submission(run.run_id)
        finally:
            os.killpg(launched.pid, signal.SIGKILL)
            launched.wait()
        assert_failed_alerted_and_freed(deployment, run.run_id, time.monotonic())


def test_a_run_killed_with_its_code_server_is_failed_once_the_code_server_restarts(deployment):
    service = deployment.service
    with dps_folder_held():
        run_id = service.submit("send_to_dps", QUARTER.partition_key)
        held_in_submission(run_id)
        service.kill("code")
        service.start_process("code")  # systemd's Restart=
        took = assert_failed_alerted_and_freed(deployment, run_id, time.monotonic())
    print(f"code server killed with its worker: run failed {took:.0f} s after the restart")


def test_a_run_killed_with_every_process_is_failed_once_the_service_is_back(deployment):
    service = deployment.service
    with dps_folder_held():
        run_id = service.submit("send_to_dps", QUARTER.partition_key)
        held_in_submission(run_id)
        service.kill("daemon", "readonly", "webserver", "code")
        service.start()
        took = assert_failed_alerted_and_freed(deployment, run_id, time.monotonic())
    print(f"every process killed: run failed {took:.0f} s after the restart")


def test_a_code_server_stopped_as_its_unit_stops_it_lets_its_run_finish(deployment):
    """`systemctl stop` or `restart` of the code server (KillMode=mixed): SIGTERM to the code
    server alone; once it has exited, SIGKILL to whatever is left in its control group. The code
    server waits for its run workers before it exits, so the run in progress finishes."""
    service = deployment.service
    assert unit_settings("dps-exchange-code.service")["KillMode"] == "mixed"
    code = service.processes["code"]
    with dps_folder_held():
        run_id = service.submit("send_to_dps", QUARTER.partition_key)
        held_in_submission(run_id)
        os.kill(code.pid, signal.SIGTERM)
        with pytest.raises(subprocess.TimeoutExpired):  # still there, waiting for its run
            code.process.wait(timeout=5)
    code.process.wait(timeout=300)  # the run went on once the lock was free; then the server left
    try:
        os.killpg(code.pid, signal.SIGKILL)  # systemd's SIGKILL to the rest of the control group
    except ProcessLookupError:
        pass  # nothing left
    service.processes.pop("code").stop()
    with DagsterInstance.get() as instance:
        assert instance.get_run_by_id(run_id).status == DagsterRunStatus.SUCCESS
    service.start_process("code")  # the restart's start


def test_after_the_crashes_the_quarter_goes_ahead_and_its_working_copies_go(deployment):
    service = deployment.service
    with DagsterInstance.get() as instance:
        submissions = recorded_submissions(instance)
    location_loaded(service)
    assert service.wait_for_run(service.submit("send_to_dps", QUARTER.partition_key), 600) == "SUCCESS"
    assert service.wait_for_run(service.submit("receive_from_dps", QUARTER.partition_key), 600) == "SUCCESS"
    with DagsterInstance.get() as instance:
        assert recorded_submissions(instance) == submissions  # uploaded once, before the crashes
        assert [r for r in instance.get_runs() if r.status == DagsterRunStatus.STARTED] == []
    # The working copies of children's records: the export files and downloads, and the stored
    # frames that hold names or dates of birth (the other frames hold counts and paths).
    work = Path(deployment.config.directories.work_root)
    copies = [work / half / QUARTER.tag for half in ("to_dps", "from_dps")]
    copies += [work / "dagster-storage" / asset / QUARTER.partition_key for asset in PERSONAL_FRAMES]
    assert [p for p in copies if p.exists()] == []
    reports = [m for m in read_mailbox(deployment.mailbox) if "failed for" not in m["Subject"]]
    assert len(reports) == 1  # emailed once


def location_loaded(service, timeout_s: float = 180) -> None:
    """The webserver's code location reloaded from the restarted code server, as an operator's
    "Reload" does: right after the code server's restart the webserver may still hold the location
    it failed to reach (then it knows no job)."""
    deadline = time.monotonic() + timeout_s
    while (info := service.client.reload_repository_location("dps_assets")).status != \
            ReloadRepositoryLocationStatus.SUCCESS:
        assert time.monotonic() < deadline, f"the code location did not load: {info.message}"
        time.sleep(1)
