"""A run worker's identity names one process for ever: a live process is alive, a killed one is
gone (reaped or not), and neither a reused process id nor a restarted host passes for it."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dps_assets.instance.worker_process import Liveness, WorkerIdentity, worker_state


@pytest.fixture
def child():
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def identity_of(process: subprocess.Popen) -> WorkerIdentity:
    mine = WorkerIdentity.of_this_process()
    ticks = int(Path(f"/proc/{process.pid}/stat").read_text().rpartition(")")[2].split()[19])
    return dataclasses.replace(mine, pid=process.pid, start_ticks=ticks)


def test_a_running_process_is_alive(child):
    assert worker_state(identity_of(child)).liveness is Liveness.ALIVE
    assert worker_state(WorkerIdentity.of_this_process()).liveness is Liveness.ALIVE


def test_a_killed_process_is_gone_before_and_after_it_is_reaped(child):
    worker = identity_of(child)
    child.send_signal(signal.SIGKILL)
    # Exited but not yet reaped (its parent, as a code server might be, has not waited for it).
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    state = worker_state(worker)
    assert state.liveness is Liveness.GONE and "exited" in state.why
    child.wait()
    state = worker_state(worker)
    assert state.liveness is Liveness.GONE and "no such process" in state.why
    assert f"pid {worker.pid}" in state.why


def test_a_reused_process_id_is_not_the_worker(child):
    worker = dataclasses.replace(identity_of(child), start_ticks=identity_of(child).start_ticks - 1)
    state = worker_state(worker)
    assert state.liveness is Liveness.GONE and "another process" in state.why


def test_a_worker_from_before_the_host_restarted_is_gone(child):
    worker = dataclasses.replace(identity_of(child), boot_id="00000000-0000-0000-0000-000000000000")
    state = worker_state(worker)
    assert state.liveness is Liveness.GONE and "restarted" in state.why


def test_a_worker_on_another_host_is_not_judged(child):
    worker = dataclasses.replace(identity_of(child), host="another-host.invalid")
    assert worker_state(worker).liveness is Liveness.ELSEWHERE


def test_the_identity_survives_the_metadata_round_trip():
    worker = WorkerIdentity.of_this_process()
    assert WorkerIdentity.from_metadata(worker.to_metadata()) == worker
    assert WorkerIdentity.from_metadata({"worker_pid": "12"}) is None
