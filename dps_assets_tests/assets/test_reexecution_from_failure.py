"""A receiving run that failed at its delivery and is re-executed from failure (the UI's default
re-execution, which does not fetch DPS's files again) still archives DPS's answer and moves it
aside on the server: the parent run fetched them, and nothing of the answer is lost when the
quarter's working copies go."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.embedded.dagster_dev import prepare_dagster_home
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets.embedded.stack import EmbeddedStack
from dps_assets_tests.conftest import TODAY
from dps_assets_tests.support.e2e_stack import stack_config, stack_with_data
from dps_assets_tests.support.folder_watch import FolderWatch
from dps_assets_tests.support.servers import free_port

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
QUARTER = FiscalQuarter.latest_closed(TODAY)
PASSWORD = "reexecution-test-only-password"
DPS_FILES = ("Dfps-missing-person-results.txt", "Dfps-missing-person-counts.txt")


def job_run(env: dict[str, str], *args: str) -> tuple[str, str]:
    done = subprocess.run([sys.executable, "-m", "dps_assets_tests.support.job_runs", *args], cwd=REPO,
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    run_id, status = done.stdout.strip().splitlines()[-1].split()
    return run_id, status if status == "SUCCESS" else f"{status}: {done.stderr[-2000:]}"


def test_a_delivery_re_executed_from_failure_archives_the_answer_its_parent_fetched(tmp_path, embedded_data):
    layout, settings = stack_with_data(tmp_path / "stack", embedded_data, PASSWORD, TODAY)
    with EmbeddedStack(layout, settings) as stack:
        home = prepare_dagster_home(tmp_path / "dagster_home")
        good = stack_config(layout, stack)
        config = yaml.safe_load(good.read_text())
        config["email"]["port"] = free_port()  # the relay is down: the delivery fails before DATA
        relay_down = tmp_path / "relay_down.yml"
        relay_down.write_text(yaml.safe_dump(config, sort_keys=False))
        env = {"DAGSTER_HOME": str(home), "DPS_SFTP_PASSWORD": PASSWORD}

        with FolderWatch(layout.sftp_root / "TO_DFPS") as answers:
            done = subprocess.run([str(REPO / ".venv/bin/dps-launch"), "sending", QUARTER.label], cwd=REPO,
                                  env={**os.environ, **env, "DPS_CONFIG": str(good)}, capture_output=True,
                                  text=True, timeout=600)
            assert done.returncode == 0, done.stderr[-3000:]
            deadline = time.monotonic() + 120
            while ("CLOSE_WRITE", DPS_FILES[1]) not in answers.events():
                assert time.monotonic() < deadline, "the simulated DPS did not answer"
                time.sleep(0.2)

        failed, status = job_run({**env, "DPS_CONFIG": str(relay_down)}, "run", "receive_from_dps", QUARTER.label)
        assert status.startswith("FAILURE")
        assert all((layout.sftp_root / "TO_DFPS" / name).exists() for name in DPS_FILES)
        rerun, status = job_run({**env, "DPS_CONFIG": str(good)}, "from-failure", failed)
        assert status == "SUCCESS"

    assert len(read_mailbox(layout.mailbox)) == 1
    [archived] = (layout.base / "archive" / "from_dps" / QUARTER.tag).iterdir()
    assert rerun[:8] in archived.name and sorted(p.name for p in archived.iterdir()) == sorted(DPS_FILES)
    assert not any((layout.sftp_root / "TO_DFPS" / name).exists() for name in DPS_FILES)
    assert not (layout.base / "work" / "from_dps" / QUARTER.tag).exists()
