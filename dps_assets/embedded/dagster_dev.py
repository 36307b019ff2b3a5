"""Running `dagster dev` (webserver and daemon) on a persistent DAGSTER_HOME, and talking to it.

The daemon is what runs schedules and sensors; without a persistent DAGSTER_HOME, `dagster dev`
deletes its storage on exit and sensor cursors and run keys are lost.

DAGSTER_HOME holds run history and failures (the event log, compute logs): `dagster dev` runs
with umask 077, so everything it and its run workers create there is 0600 in 0700 folders (the
webserver and the daemon write their databases before any of our code is imported), and what an
earlier version left more open is restricted when it starts."""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from dagster_graphql import DagsterGraphQLClient

from dps_assets.config.delivery import UI_BASE_URL_ENV_VAR
from dps_assets.core.privacy.private_files import FILE_MODE, FOLDER_MODE, private_folder, write_private
from dps_assets.embedded.process import ReadyProcess, start_ready_process

REPO = Path(__file__).resolve().parents[2]
INSTANCE_YAML = """\
telemetry:
  enabled: false
# DPS's answer arriving -> its email (bench/bench_answer_latency.py): the queue is drained every
# second, not every 5 s, and each sensor ticks in its own thread, so the SFTP sensor is not held
# up behind the alert sensors' ticks.
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: 1
sensors:
  use_threads: true
  num_workers: 4
concurrency:
  runs:
    max_concurrent_runs: 2
  # One step at a time in each pool the exchange names (DPS's folder, the reports' delivery):
  # dps_assets.instance.critical_section.INSTANCE_CONCURRENCY, which the tests check this file against.
  pools:
    default_limit: 1
    granularity: op
# As in production (deploy/dagster.yaml): run monitoring fails a run whose worker died, which the
# launcher tells from the process the run recorded, and then frees the pool slots it held;
# without this, every later upload or delivery would wait for that pool forever.
run_launcher:
  module: dps_assets.instance.run_workers
  class: WorkerCheckingRunLauncher
run_monitoring:
  enabled: true
  max_resume_run_attempts: 0
  poll_interval_seconds: 5
  free_slots_after_run_end_seconds: 5
"""
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
PRIVATE_UMASK = 0o077
LOCATION = "dps_assets"  # workspace.yaml's location_name


def prepare_dagster_home(home: Path) -> Path:
    private_folder(home)
    restrict_to_owner(home)
    write_private(home / "dagster.yaml", INSTANCE_YAML.encode())
    nux = private_folder(home / ".nux") / "nux.yaml"
    write_private(nux, b"seen: 1\n")  # no welcome pop-up in the UI
    return home


def restrict_to_owner(root: Path) -> None:
    """Folders under `root` 0700, files 0600 (symbolic links are left alone)."""
    for folder, folders, files in os.walk(root):
        for name, mode in [(n, FOLDER_MODE) for n in folders] + [(n, FILE_MODE) for n in files]:
            path = Path(folder, name)
            if not path.is_symlink() and stat.S_IMODE(path.lstat().st_mode) != mode:
                os.chmod(path, mode)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DagsterDev:
    """`dagster dev -w workspace.yaml` on 127.0.0.1, with the given environment (another
    workspace file: a bench trying a variant of the code location)."""

    def __init__(self, home: Path, env: Mapping[str, str], port: int = 3000,
                 workspace: Path = REPO / "workspace.yaml"):
        self.home, self.port, self.workspace = prepare_dagster_home(home), port, workspace
        # The alerts link runs where this UI really is (a configuration without alerts.ui_base_url).
        self.env = {**os.environ, UI_BASE_URL_ENV_VAR: self.url, **env, "DAGSTER_HOME": str(home)}
        self.process: ReadyProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DagsterDev:
        dagster = Path(sys.executable).with_name("dagster")
        self.process = start_ready_process(
            [dagster, "dev", "-w", self.workspace, "-h", "127.0.0.1", "-p", str(self.port)],
            name="dagster dev", ready_pattern=r"Serving dagster-webserver on", ready_stream="stdout",
            timeout_s=180, env=self.env, cwd=REPO, umask=PRIVATE_UMASK)
        self._wait_until_serving(timeout_s=60)
        return self

    def _wait_until_serving(self, timeout_s: float) -> None:
        """The webserver logs its address a moment before it accepts connections."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/server_info", timeout=5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM to `dagster dev`'s process group (it, its webserver, daemon and code server,
        and their run workers), then SIGKILL to what is left after 30 s. Not SIGINT to the main
        process: a shell's background job ignores SIGINT, and `dagster dev` alone took over 30 s
        on SIGTERM and left its children running."""
        if self.process is not None:
            self.process.stop(timeout_s=30)

    def __enter__(self) -> DagsterDev:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def client(self) -> DagsterGraphQLClient:
        return DagsterGraphQLClient("127.0.0.1", port_number=self.port, timeout=60)

    def submit(self, job: str, partition_key: str, tags: Mapping[str, str] | None = None,
               run_config: Mapping | None = None) -> str:
        return self.client.submit_job_execution(
            job, run_config=dict(run_config or {}),
            tags={"dagster/partition": partition_key, **(tags or {})})

    def wait_for_run(self, run_id: str, timeout_s: float = 600) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status = self.client.get_run_status(run_id).value
            if status in FINISHED:
                return status
            time.sleep(1)
        raise TimeoutError(f"run {run_id} did not finish within {timeout_s:g} s")

    def wait_for_sensor_tick(self, sensor: str, timeout_s: float = 120) -> None:
        """Until the daemon has evaluated `sensor` once. A run status sensor (the failure alert)
        starts from the event log's end at its first tick and never sees runs that failed
        before it."""
        query = ("query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) { ... on Sensor {"
                 " sensorState { ticks(limit: 1) { status } } } } }")
        selector = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "sensorName": sensor}
        body = json.dumps({"query": query, "variables": {"s": selector}}).encode()
        deadline = time.monotonic() + timeout_s
        while True:
            request = urllib.request.Request(f"{self.url}/graphql", data=body,
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                sensor_data = json.load(response)["data"]["sensorOrError"]
            if (sensor_data.get("sensorState") or {}).get("ticks"):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the daemon did not evaluate {sensor} within {timeout_s:g} s")
            time.sleep(0.5)
