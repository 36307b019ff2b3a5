"""The launcher tells run monitoring whether a run's worker lives, from what the worker recorded:
a real run held mid-step in another process is RUNNING; the same run once its process is killed
is FAILED, with a reason that names the process and no data."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.launcher.base import WorkerStatus

from dps_assets.instance.run_workers import WorkerCheckingRunLauncher, recorded_worker
from dps_assets_tests.support.worker_jobs import held_run


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("run_launcher:\n  module: dps_assets.instance.run_workers\n"
                                       "  class: WorkerCheckingRunLauncher\ntelemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def wait_for_recorded_worker(instance: DagsterInstance, process: subprocess.Popen, timeout_s: float = 120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run's process ended before it recorded its worker"
        for run in instance.get_runs():
            worker = recorded_worker(instance, run.run_id)
            if worker is not None:
                return run, worker
        time.sleep(0.2)
    raise TimeoutError("no run recorded its worker")


def test_a_killed_worker_is_reported_failed_and_a_live_one_running(home):
    process = subprocess.Popen([sys.executable, "-m", "dps_assets_tests.support.worker_jobs"],
                               stdin=subprocess.PIPE, env={**os.environ, "DAGSTER_HOME": str(home)})
    try:
        with DagsterInstance.get() as instance:
            launcher = instance.run_launcher
            assert isinstance(launcher, WorkerCheckingRunLauncher) and launcher.supports_check_run_worker_health
            run, worker = wait_for_recorded_worker(instance, process)
            assert run.job_name == held_run.name and worker.pid == process.pid
            assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.STARTED
            assert launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING

            process.kill()
            process.wait()
            assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.STARTED  # what Dagster leaves
            health = launcher.check_run_worker_health(run)
            assert health.status == WorkerStatus.FAILED
            assert health.msg == f"the run worker (pid {process.pid} on host {worker.host}) is gone: no such process"
    finally:
        process.kill()
        process.wait()


def test_a_run_that_never_recorded_a_worker_is_failed_only_after_the_grace(home, monkeypatch):
    from dps_assets.instance import run_workers

    with DagsterInstance.get() as instance:
        run = instance.create_run_for_job(held_run, run_config={})
        instance.handle_run_event(run.run_id, _run_start(run))
        launcher = instance.run_launcher
        assert launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING
        monkeypatch.setattr(run_workers, "RECORD_GRACE_S", 0.0)
        health = launcher.check_run_worker_health(run)
        assert health.status == WorkerStatus.FAILED and "before it recorded itself" in health.msg


def _run_start(run):
    from dagster._core.events import DagsterEvent, DagsterEventType

    return DagsterEvent(DagsterEventType.RUN_START.value, job_name=run.job_name, message="started")
