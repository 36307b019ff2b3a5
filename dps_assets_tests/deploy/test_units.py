"""The shipped systemd units: hardened (systemd-analyze's exposure score at most 3.0, no setting
systemd would ignore), each process given only the secrets it needs, logs without colour codes,
and a code-server restart that lets runs finish. The processes themselves are started from these
units in end_to_end/test_service.py and test_dead_workers.py."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from dps_assets.config.schema import load_config
from dps_assets_tests.support.dagster_service import UNIT_OF
from dps_assets_tests.support.systemd_units import (
    CREDENTIALS,
    DEPLOY,
    ENVIRONMENT_FILE,
    READONLY_ENVIRONMENT_FILE,
    REPO,
    UNITS,
    unit_settings,
    unit_values,
)

MOST_EXPOSURE = 3.0
ENTRY_POINT = "/opt/dps-exchange/.venv/bin/python -m dps_assets.service.credentials /opt/dps-exchange/.venv/bin/"
SECRET_WORDS = re.compile(r"PASSWORD|PASSPHRASE|SECRET|TOKEN|WEBHOOK|KEY", re.IGNORECASE)
SHIPPED_UNITS = sorted(p.name for p in UNITS.glob("*.service"))


def test_the_four_units_are_the_ones_the_tests_start():
    assert SHIPPED_UNITS == sorted(UNIT_OF.values())


def security(unit: str) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: Debian's `systemd` package (bin/bootstrap installs it)"
    return subprocess.run([analyze, "security", "--offline=true", "--no-pager", str(UNITS / unit)],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("unit", SHIPPED_UNITS)
def test_each_unit_is_exposed_at_most_3_0_and_systemd_ignores_none_of_its_settings(unit):
    done = security(unit)
    assert done.returncode == 0, done.stderr
    [level] = re.findall(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout)
    assert float(level) <= MOST_EXPOSURE, done.stdout
    assert done.stderr == ""  # "Unknown key …, ignoring." and the like: a setting that does nothing


def test_the_score_is_read_from_systemd_analyze_and_can_fail(tmp_path):
    # The shipped units before this hardening scored 8.6: the same check refuses such a unit.
    bare = tmp_path / "bare.service"
    bare.write_text("[Service]\nUser=dpsexchange\nExecStart=/bin/true\nNoNewPrivileges=yes\n")
    done = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(bare)],
                          capture_output=True, text=True, timeout=60)
    [level] = re.findall(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout)
    assert float(level) > MOST_EXPOSURE


@pytest.mark.parametrize("unit", SHIPPED_UNITS)
def test_each_unit_starts_its_process_through_the_credentials_entry_point_and_logs_without_colour(unit):
    settings = unit_settings(unit)
    assert settings["ExecStart"].startswith(ENTRY_POINT)
    # Dagster's default log format writes ANSI colour codes even into the journal.
    assert settings["ExecStart"].endswith(" --log-format json")
    assert settings["SyslogIdentifier"] == unit.removesuffix(".service")  # not "python"


def test_no_secret_is_in_an_environment_file_every_unit_reads():
    for unit in SHIPPED_UNITS:
        assert unit_values(unit, "EnvironmentFile")[0] == ENVIRONMENT_FILE
    for example in ("dps-exchange.env.example", "webserver-readonly.env.example"):
        lines = (DEPLOY / example).read_text(encoding="utf-8").splitlines()
        names = [line.split("=", 1)[0] for line in lines if "=" in line and not line.startswith("#")]
        assert names and [name for name in names if SECRET_WORDS.search(name)] == []


def credentials_of(unit: str) -> dict[str, str]:
    """Credential id -> the file under /etc/dps-exchange/credentials it is read from."""
    return {name: path.removeprefix(f"{CREDENTIALS}/")
            for name, path in (value.split(":", 1) for value in unit_values(unit, "LoadCredential"))}


def test_the_webservers_and_the_daemon_get_the_instance_password_alone():
    assert credentials_of("dps-exchange-webserver.service") == {"DAGSTER_PG_PASSWORD": "DAGSTER_PG_PASSWORD"}
    assert credentials_of("dps-exchange-daemon.service") == {"DAGSTER_PG_PASSWORD": "DAGSTER_PG_PASSWORD"}
    # The analysts' UI: the read-only role's password, and its name from a file read after the shared one.
    readonly = "dps-exchange-webserver-readonly.service"
    assert credentials_of(readonly) == {"DAGSTER_PG_PASSWORD": "DAGSTER_PG_READONLY_PASSWORD"}
    assert unit_values(readonly, "EnvironmentFile") == [ENVIRONMENT_FILE, READONLY_ENVIRONMENT_FILE]


def test_the_code_server_gets_every_secret_the_shipped_configuration_names():
    needed = load_config(REPO / "dps_config.yml").secret_variables()
    assert needed == ["DPS_DB_PASSWORD", "DPS_SFTP_KEY_PASSPHRASE"]
    assert credentials_of("dps-exchange-code.service") == {
        name: name for name in ["DAGSTER_PG_PASSWORD", *needed]}


def test_secret_variables_are_every_env_key_the_configuration_sets(tmp_path):
    text = (REPO / "dps_config.demo.yml").read_text(encoding="utf-8")
    text = text.replace("email:\n", "email:\n  username: relay-user\n  password_env: DPS_SMTP_PASSWORD\n"
                        "  security: starttls\n", 1).replace("  security: plain\n", "")
    path = tmp_path / "dps_config.yml"
    path.write_text(text, encoding="utf-8")
    assert load_config(path).secret_variables() == ["DPS_SFTP_PASSWORD", "DPS_SMTP_PASSWORD"]


def test_a_code_server_restart_lets_runs_finish_before_they_are_killed():
    settings = unit_settings("dps-exchange-code.service")
    assert settings["KillMode"] == "mixed"  # SIGTERM to the code server alone, not to its run workers
    assert settings["TimeoutStopSec"] == "30min"
    # Restarting the code server stops the daemon first: no queued run goes to a stopping server.
    assert unit_values("dps-exchange-daemon.service", "Requires", section="Unit") == ["dps-exchange-code.service"]
