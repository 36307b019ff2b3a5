"""The shipped systemd units: hardened (systemd-analyze's exposure score at most 3.0, no setting
systemd would ignore), each process given only the secrets it needs, logs without colour codes,
a code-server restart that lets runs finish, and the health check's unit, timer and polkit rule.
The processes themselves are started from these units in end_to_end/test_service.py,
test_dead_workers.py and test_service_health.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
import yaml

from dps_assets.config.health import SHIPPED_UNITS as HEALTH_CHECKED
from dps_assets.config.health import HealthConfig
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
HEALTH_UNIT = "dps-exchange-health.service"
DAGSTER_UNITS = [unit for unit in SHIPPED_UNITS if unit != HEALTH_UNIT]
POLKIT_RULE = DEPLOY / "polkit" / "50-dps-exchange-health.rules"


def test_the_four_dagster_units_are_the_ones_the_tests_start_and_the_health_check_checks():
    assert DAGSTER_UNITS == sorted(UNIT_OF.values())
    assert sorted(unit.unit for unit in HealthConfig().units) == DAGSTER_UNITS


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


@pytest.mark.parametrize("unit", DAGSTER_UNITS)
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


def test_the_health_checks_defaults_are_the_ports_the_units_and_the_workspace_open():
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text(encoding="utf-8"))["load_from"][0]["grpc_server"]
    for checked in HEALTH_CHECKED:
        command = unit_settings(checked.unit)["ExecStart"]
        if checked.check == "code_server":
            assert checked.address == f"{workspace['host']}:{workspace['port']}"
            assert f"--host {workspace['host']} --port {workspace['port']}" in command
        elif checked.check == "webserver":
            address = urlsplit(checked.address)
            assert f"--host {address.hostname} --port {address.port}" in command
        else:
            assert "dagster-daemon run" in command


def test_the_health_check_is_a_oneshot_of_the_services_user_with_the_read_only_role_and_the_alerts_secrets():
    settings = unit_settings(HEALTH_UNIT)
    assert settings["ExecStart"] == f"{ENTRY_POINT}python -m dps_assets.service.health"
    assert (settings["Type"], settings["User"], settings["StateDirectory"]) == (
        "oneshot", "dpsexchange", "dps-exchange-health")
    assert settings["SyslogIdentifier"] == "dps-exchange-health"
    assert credentials_of(HEALTH_UNIT) == {"DAGSTER_PG_PASSWORD": "DAGSTER_PG_READONLY_PASSWORD"}
    assert unit_values(HEALTH_UNIT, "EnvironmentFile") == [ENVIRONMENT_FILE, READONLY_ENVIRONMENT_FILE]
    # The alerts' secrets come from its drop-in, shipped with every line commented out (the shipped
    # configuration names neither); each one it may list is a file of the code server's.
    drop_in = (UNITS / f"{HEALTH_UNIT}.d" / "alert-secrets.conf").read_text(encoding="utf-8")
    offered = re.findall(r"^# LoadCredential=(\w+):/etc/dps-exchange/credentials/(\w+)$", drop_in, re.MULTILINE)
    assert offered == [("DPS_ALERT_WEBHOOK_URL", "DPS_ALERT_WEBHOOK_URL"), ("DPS_SMTP_PASSWORD", "DPS_SMTP_PASSWORD")]
    # Its alert file is writable in the unit's sandbox: log_root of the shipped configuration.
    log_root = load_config(REPO / "dps_config.yml").directories.log_root.rstrip("/")
    assert log_root in settings["ReadWritePaths"].split()


def test_the_timer_starts_the_health_check_every_minute():
    timer = (UNITS / "dps-exchange-health.timer").read_text(encoding="utf-8")
    section = dict(line.split("=", 1) for line in timer.split("[Timer]")[1].split("\n[")[0].splitlines()
                   if "=" in line and not line.startswith("#"))
    assert section["Unit"] == HEALTH_UNIT and section["OnCalendar"] == "*-*-* *:*:00"
    assert "WantedBy=timers.target" in timer
    assert "\n[Install]" not in (UNITS / HEALTH_UNIT).read_text(encoding="utf-8")  # started by its timer alone


def polkit_decides(action_id: str, user: str, details: dict[str, str]) -> str:
    """The rule file evaluated by Node.js against polkit's objects, as polkitd (duktape) would."""
    node = shutil.which("node")
    assert node, "Node.js is missing (bin/bootstrap installs Debian's nodejs where there is no node)"
    script = f"""
        const rules = [];
        const polkit = {{Result: {{YES: "yes", NO: "no", NOT_HANDLED: null}}, addRule: (f) => rules.push(f)}};
        eval(require("fs").readFileSync({json.dumps(str(POLKIT_RULE))}, "utf8"));
        const details = {json.dumps(details)};
        const action = {{id: {json.dumps(action_id)}, lookup: (key) => details[key]}};
        const subject = {{user: {json.dumps(user)}}};
        console.log(JSON.stringify(rules.map((rule) => rule(action, subject))));
    """
    done = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [answer] = json.loads(done.stdout)
    return answer or "not handled"


@pytest.mark.parametrize("unit", DAGSTER_UNITS)
def test_polkit_lets_the_services_user_restart_each_dagster_unit(unit):
    manage = "org.freedesktop.systemd1.manage-units"
    assert polkit_decides(manage, "dpsexchange", {"unit": unit, "verb": "restart"}) == "yes"


@pytest.mark.parametrize(("action_id", "user", "details"), [
    ("org.freedesktop.systemd1.manage-units", "dpsexchange", {"unit": "dps-exchange-code.service", "verb": "stop"}),
    ("org.freedesktop.systemd1.manage-units", "dpsexchange", {"unit": "ssh.service", "verb": "restart"}),
    ("org.freedesktop.systemd1.manage-units", "dpsexchange", {"unit": HEALTH_UNIT, "verb": "restart"}),
    ("org.freedesktop.systemd1.manage-units", "nobody", {"unit": "dps-exchange-code.service", "verb": "restart"}),
    ("org.freedesktop.systemd1.manage-unit-files", "dpsexchange", {}),
    ("org.freedesktop.login1.reboot", "dpsexchange", {}),
])
def test_polkit_lets_it_do_nothing_else(action_id, user, details):
    assert polkit_decides(action_id, user, details) == "not handled"
