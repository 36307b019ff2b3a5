"""Stopping the demo stops everything it started: SIGTERM (a service manager, `kill`), or Ctrl-C
even when a shell started it in the background with SIGINT ignored, leaves no embedded server,
no webserver, daemon or code server, and no run worker behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dps_assets.embedded.dagster_dev import free_port
from dps_assets.embedded.stack import StackLayout, write_stack_config
from dps_assets_tests.support.processes import descendants, wait_until_gone

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def processes_of(dagster_home: Path) -> list[int]:
    """Every process whose environment names this DAGSTER_HOME: what the demo started."""
    marker = f"DAGSTER_HOME={dagster_home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_the_demo_stops_everything_it_started(tmp_path, embedded_data, stop_signal):
    layout = StackLayout(tmp_path / "demo")
    shutil.copytree(embedded_data, layout.data)
    config = write_stack_config(layout, free_port(), free_port(), tmp_path / "dps_config.yml")
    demo = subprocess.Popen(
        [sys.executable, "-m", "dps_assets.embedded.demo", "--port", str(free_port())], cwd=REPO,
        env={**os.environ, "DPS_CONFIG": str(config), "DPS_SFTP_PASSWORD": "demo-stop-test"},
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        # What a shell's background job gets: SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        assert demo.stdout is not None
        for line in demo.stdout:
            if line.startswith("Dagster UI and daemon at"):
                break
        else:
            pytest.fail(f"the demo ended before its UI was up (exit code {demo.wait()})")
        started = descendants(demo.pid)
        dagster_home = layout.base / "dagster_home"
        assert len(started) >= 5 and processes_of(dagster_home)  # servers, dagster dev and its children

        demo.send_signal(stop_signal)
        rest = demo.stdout.read()
        assert demo.wait(timeout=120) == 130
        assert "Stopped" in rest
        wait_until_gone(started, timeout_s=30)
        assert processes_of(dagster_home) == []
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
