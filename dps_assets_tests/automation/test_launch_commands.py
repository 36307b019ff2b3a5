"""The two command lines docs/operations.md gives for running a quarter by hand work as written
on a fresh instance (one whose quarter-calendar sensor never ticked), and a quarter they cannot
launch is refused with a sentence, not a Dagster traceback."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance

from dps_assets.assets.partitions import agency_today, fiscal_quarter_partitions
from dps_assets.automation.launch import launch_command
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.embedded.dagster_dev import prepare_dagster_home
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets.embedded.stack import EmbeddedStack
from dps_assets.instance.ledger import recorded_submissions
from dps_assets_tests.conftest import TODAY
from dps_assets_tests.support.e2e_stack import stack_config, stack_with_data
from dps_assets_tests.support.folder_watch import FolderWatch

REPO = Path(__file__).resolve().parents[2]
OPERATIONS = REPO / "docs" / "operations.md"
QUARTER = FiscalQuarter.latest_closed(TODAY)
PASSWORD = "launch-test-only-password"


def documented_commands() -> list[list[str]]:
    section = OPERATIONS.read_text(encoding="utf-8").split("\n## Running a quarter by hand\n", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line) for line in block.splitlines() if line.strip() and not line.startswith("#")]


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=600)


def test_the_docs_give_one_command_per_half():
    assert documented_commands() == [[".venv/bin/dps-launch", "sending", "FY2026-Q4"],
                                 [".venv/bin/dps-launch", "receiving", "FY2026-Q4"]]


@pytest.mark.parametrize(("label", "said"), [
    ("FY2099-Q1", "FY2099-Q1 has not closed yet: it ends on November 30, 2098, and can be launched from the next day"),
    ("2026Q4", "'2026Q4' is not a fiscal quarter: write it like FY2026-Q4"),
    ("FY2026-Q4", "FY2026-Q4 is before FY2027-Q1, the exchange's first quarter (first_quarter in the "
                  "configuration), and nothing ran for it"),
])
def test_a_quarter_that_cannot_be_launched_is_refused_with_a_sentence(tmp_path, label, said):
    home = prepare_dagster_home(tmp_path / "dagster_home")
    done = run([".venv/bin/dps-launch", "sending", label], {"DAGSTER_HOME": str(home)})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == f"dps-launch: {said}"
    assert "Traceback" not in done.stderr


def test_without_a_quarter_it_launches_the_newest_closed_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(prepare_dagster_home(tmp_path / "dagster_home")))
    monkeypatch.setenv("DPS_CONFIG", str(REPO / "dps_config.demo.yml"))
    newest = FiscalQuarter.latest_closed(agency_today())
    command = launch_command("receiving", None, ["--config-json", "{}"])
    assert command[-4:] == ["--partition", newest.label, "--config-json", "{}"]
    assert f"dps-launch: {newest.label}, the newest closed quarter" in capsys.readouterr().err


@pytest.mark.e2e
def test_the_documented_commands_run_a_quarter_on_a_fresh_instance(tmp_path, embedded_data, monkeypatch):
    layout, settings = stack_with_data(tmp_path / "stack", embedded_data, PASSWORD, TODAY)
    with EmbeddedStack(layout, settings) as stack:
        home = prepare_dagster_home(tmp_path / "dagster_home")
        env = {"DAGSTER_HOME": str(home), "DPS_CONFIG": str(stack_config(layout, stack)),
               "DPS_SFTP_PASSWORD": PASSWORD}
        sending, receiving = documented_commands()
        with FolderWatch(layout.sftp_root / "TO_DFPS") as answers:
            done = run(sending, env)
            assert done.returncode == 0, done.stderr[-3000:]
            assert "added" in done.stderr and "closed quarter(s) to the instance" in done.stderr
            # DPS (simulated) answers within seconds: the counts file is written last.
            deadline = time.monotonic() + 120
            while ("CLOSE_WRITE", "Dfps-missing-person-counts.txt") not in answers.events():
                assert time.monotonic() < deadline, "the simulated DPS did not answer"
                time.sleep(0.2)
        done = run(receiving, env)
        assert done.returncode == 0, done.stderr[-3000:]

    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as instance:
        assert QUARTER.partition_key in instance.get_dynamic_partitions(fiscal_quarter_partitions.name)
        assert [s.quarter for s in recorded_submissions(instance)] == [QUARTER]
        assert {run.tags["fiscal_quarter"] for run in instance.get_runs()} == {QUARTER.label}
    assert len(read_mailbox(layout.mailbox)) == 1
