"""Running `dagster dev` (webserver and daemon) on a persistent DAGSTER_HOME, and talking to it.

The daemon is what runs schedules and sensors; without a persistent DAGSTER_HOME, `dagster dev`
deletes its storage on exit and sensor cursors and run keys are lost."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from dagster_graphql import DagsterGraphQLClient

from dps_assets.embedded.process import ReadyProcess, start_ready_process
from dps_assets.resources.local_files import private_folder

REPO = Path(__file__).resolve().parents[2]
INSTANCE_YAML = """\
telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
concurrency:
  runs:
    max_concurrent_runs: 2
  # One step at a time in each pool the exchange names (DPS's folder, the reports' delivery):
  # dps_assets.critical_section.INSTANCE_CONCURRENCY, which the tests check this file against.
  pools:
    default_limit: 1
    granularity: op
"""
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def prepare_dagster_home(home: Path) -> Path:
    private_folder(home)
    (home / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")
    nux = private_folder(home / ".nux") / "nux.yaml"
    nux.write_text("seen: 1\n", encoding="utf-8")  # no welcome pop-up in the UI
    return home


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DagsterDev:
    """`dagster dev -w workspace.yaml` on 127.0.0.1, with the given environment."""

    def __init__(self, home: Path, env: Mapping[str, str], port: int = 3000):
        self.home, self.port = prepare_dagster_home(home), port
        self.env = {**os.environ, **env, "DAGSTER_HOME": str(home)}
        self.process: ReadyProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DagsterDev:
        dagster = Path(sys.executable).with_name("dagster")
        self.process = start_ready_process(
            [dagster, "dev", "-w", REPO / "workspace.yaml", "-h", "127.0.0.1", "-p", str(self.port)],
            name="dagster dev", ready_pattern=r"Serving dagster-webserver on", ready_stream="stdout",
            timeout_s=180, env=self.env, cwd=REPO)
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
        """SIGINT to the main process only: it shuts its webserver and daemon down itself."""
        if self.process is None or self.process.process.poll() is not None:
            return
        self.process.process.send_signal(signal.SIGINT)
        try:
            self.process.process.wait(60)
        finally:
            self.process.stop()

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
