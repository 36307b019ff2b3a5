"""The service's health check for real: PostgreSQL, the code server, the daemon and the operators'
webserver started from their units' ExecStart lines (support/dagster_service.py), and the health
check started as its own unit starts it (dps-exchange-health.service: the read-only role's
password and the webhook's URL as credentials, nothing else). Its restart command is
support/stand_in_systemctl.py, which restarts the test's process of a unit as systemd would.

(a) A hung daemon (SIGSTOP: the process is there, it does nothing): the health check finds its
    heartbeats stale, restarts it, and the new daemon's heartbeats come.
(b) The code server killed and its restart failing (its credential missing, as systemd refuses
    to start a unit whose credential file is gone), the daemon down with it: after the
    configured failures the alert is in the alert file, at the webhook and in the operators'
    mailbox, naming the unit and what to do, holding no secret; no daemon runs meanwhile."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance
from dagster._daemon.controller import all_daemons_live

from dps_assets.embedded.smtp_server import read_mailbox, start_smtp_server
from dps_assets.embedded.stack import StackLayout, write_stack_config
from dps_assets_tests.support.dagster_service import REPO, UNIT_OF, DagsterService, unit_umask
from dps_assets_tests.support.postgres_server import PostgresServer
from dps_assets_tests.support.servers import free_port
from dps_assets_tests.support.systemd_units import CREDENTIALS, process_start

pytestmark = pytest.mark.e2e
HEALTH_UNIT = "dps-exchange-health.service"
WEBHOOK_VARIABLE = "DPS_ALERT_WEBHOOK_URL"
STAND_IN = Path(__file__).parents[1] / "support" / "stand_in_systemctl.py"
CHECKED = ("code", "daemon", "webserver")  # the analysts' UI is checked as the operators' is
TOLERANCE_S = 30  # heartbeats every 30 s: a daemon is hung after 60 s without one
ROUND_TIMEOUT_S = 240  # a round's checks run at once, each within check_timeout_s


class Webhook:
    """A Teams-like incoming webhook on loopback: what was posted to it."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        received = self.received

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook/secret-token-in-the-url"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Deployment:
    def __init__(self, base: Path, service: DagsterService, webhook: Webhook, mailbox: Path):
        self.base, self.service, self.webhook, self.mailbox = base, service, webhook, mailbox
        self.units = base / "stand-in-units"  # the stand-in systemctl's folder
        self.units.mkdir()
        self.state = base / "health-state"
        self.alert_file = base / "logs" / "alerts.log"
        self.health_start = service.unit_start(HEALTH_UNIT, {"alert-secrets.conf": (
            f"[Service]\nLoadCredential={WEBHOOK_VARIABLE}:{CREDENTIALS}/{WEBHOOK_VARIABLE}\n")})

    def register(self, name: str, pid: int, broken: bool = False) -> None:
        """Tell the stand-in systemctl how the unit's process starts, and which process it is now;
        `broken`: its credentials folder is gone, so the process exits as it starts."""
        argv, env = self.service.unit_start(UNIT_OF[name], self.service.drop_ins if name == "code" else None)
        if broken:
            env["CREDENTIALS_DIRECTORY"] = str(self.base / "no-such-credentials")
        spec = {"argv": argv, "env": env, "cwd": str(REPO), "umask": unit_umask(UNIT_OF[name])}
        (self.units / f"{UNIT_OF[name]}.json").write_text(json.dumps(spec))
        (self.units / f"{UNIT_OF[name]}.pid").write_text(str(pid))

    def pid(self, name: str) -> int:
        return int((self.units / f"{UNIT_OF[name]}.pid").read_text())

    def health_round(self) -> str:
        """One round of the health check, as its timer starts its unit; what it wrote (the journal)."""
        argv, env = self.health_start
        done = subprocess.run(argv, env={**env, "STATE_DIRECTORY": str(self.state)}, cwd=REPO,
                              capture_output=True, text=True, timeout=ROUND_TIMEOUT_S,
                              umask=unit_umask(HEALTH_UNIT))
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def rounds_until(self, done: Callable[[str], bool], timeout_s: float) -> list[str]:
        deadline, outputs = time.monotonic() + timeout_s, []
        while time.monotonic() < deadline:
            outputs.append(self.health_round())
            if done(outputs[-1]):
                return outputs
        raise AssertionError(f"not within {timeout_s} s; the health check said: {outputs}")

    def state_of(self, name: str) -> dict:
        return json.loads((self.state / "units.json").read_text())[UNIT_OF[name]]

    def alerts(self) -> list[dict]:
        if not self.alert_file.exists():
            return []
        return [json.loads(line) for line in self.alert_file.read_text().splitlines()]

    def stop_stand_in_processes(self) -> None:
        for pid_file in self.units.glob("*.pid"):
            pid = int(pid_file.read_text())
            for send in (os.kill, os.killpg):
                for signum in (signal.SIGCONT, signal.SIGKILL):
                    try:
                        send(pid, signum)
                    except (ProcessLookupError, PermissionError):
                        pass


def health_section(service: DagsterService, units: Path) -> dict:
    return {"units": [
        {"unit": UNIT_OF["code"], "check": "code_server", "address": f"127.0.0.1:{service.ports['code']}"},
        {"unit": UNIT_OF["daemon"], "check": "daemon"},
        {"unit": UNIT_OF["webserver"], "check": "webserver", "address": service.url_of("webserver")}],
        "failures_before_alert": 3, "check_timeout_s": 90, "daemon_heartbeat_tolerance_s": TOLERANCE_S,
        "restart_grace_s": 120,
        "restart_command": [sys.executable, str(STAND_IN), str(units), "restart", "--no-block", "{unit}"]}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    base = tmp_path_factory.mktemp("health")
    webhook = Webhook()
    with PostgresServer() as postgres, start_smtp_server(base / "mail") as smtp:
        config_path = write_stack_config(StackLayout(base), free_port(), int(smtp.fields["port"]),
                                         base / "dps_config.yml")
        config = yaml.safe_load(config_path.read_text())
        config["sensor"]["default_running"] = False  # no sensor polls an SFTP server that is not there
        config["alerts"] = {**config.get("alerts", {}), "webhook_url_env": WEBHOOK_VARIABLE}
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        variables = {**postgres.env, "DPS_CONFIG": str(config_path), "DPS_SFTP_PASSWORD": "health-test-only",
                     WEBHOOK_VARIABLE: webhook.url}
        service = DagsterService(base / "dagster_home", variables)
        deployment = Deployment(base, service, webhook, base / "mail")
        config["health"] = health_section(service, deployment.units)
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        service.set_pool_limits()
        try:
            for name in CHECKED:
                deployment.register(name, service.start_process(name).pid)
            with pytest.MonkeyPatch.context() as env:
                for name, value in service.env.items():
                    env.setenv(name, value)  # this process reads the service's instance
                wait_until_every_daemon_has_heartbeaten(timeout_s=240)
                yield deployment
        finally:
            deployment.stop_stand_in_processes()
            service.stop()
            webhook.server.shutdown()


def newest_heartbeat() -> float:
    with DagsterInstance.get() as instance:
        return max(beat.timestamp for beat in instance.get_daemon_heartbeats().values())


def wait_until_every_daemon_has_heartbeaten(timeout_s: float) -> None:
    """Each of the daemon's threads writes its first heartbeat once it has gone round once."""
    deadline = time.monotonic() + timeout_s
    with DagsterInstance.get() as instance:
        while not all_daemons_live(instance, heartbeat_tolerance_seconds=TOLERANCE_S):
            assert time.monotonic() < deadline, f"the daemon's heartbeats: {instance.get_daemon_heartbeats()}"
            time.sleep(1)  # polling the instance with a deadline, not waiting for a moment


def test_the_health_check_runs_with_the_read_only_role_and_the_webhook_alone(deployment):
    start = process_start(HEALTH_UNIT, deployment.service.site, {"alert-secrets.conf": (
        f"[Service]\nLoadCredential={WEBHOOK_VARIABLE}:{CREDENTIALS}/{WEBHOOK_VARIABLE}\n")})
    assert set(start.credentials) == {"DAGSTER_PG_PASSWORD", WEBHOOK_VARIABLE}
    assert start.credentials["DAGSTER_PG_PASSWORD"] == deployment.service.readonly_role[1]
    assert start.environment["DAGSTER_PG_USER"] == deployment.service.readonly_role[0]
    said = deployment.health_round()
    assert "check failed" not in said, said  # every unit, the real webserver's /server_info included
    assert {deployment.state_of(name)["failures"] for name in CHECKED} == {0}


def test_a_hung_daemon_is_restarted_and_its_heartbeats_resume(deployment):
    hung = deployment.pid("daemon")
    os.kill(hung, signal.SIGSTOP)
    stopped_at = time.time()
    said = deployment.rounds_until(lambda out: f"{UNIT_OF['daemon']}: restart:" in out, timeout_s=300)
    assert "no heartbeat from the daemon" in said[-1] and "exited 0" in said[-1]
    assert not Path(f"/proc/{hung}").exists() or "zombie" in Path(f"/proc/{hung}/status").read_text().lower()
    assert deployment.pid("daemon") != hung
    deployment.rounds_until(lambda out: UNIT_OF["daemon"] not in out, timeout_s=300)  # its check passes
    assert newest_heartbeat() > stopped_at
    assert deployment.state_of("daemon")["failures"] == 0
    # Restarted at its first failed check: on a loaded host the new daemon may take long enough to
    # count as down, and then the operators hear that it recovered too.
    subjects = [a["subject"] for a in deployment.alerts() if "lines" in a]
    assert subjects in ([], [f"{UNIT_OF['daemon']} is down on {socket.gethostname()}: 3 health checks in a row failed",
                             f"{UNIT_OF['daemon']} recovered on {socket.gethostname()}"])


def test_a_code_server_that_stays_down_is_alerted_without_the_daemon(deployment):
    for name in ("daemon", "code"):  # systemd stops the daemon with the code server it Requires=
        pid = deployment.pid(name)
        deployment.register(name, pid, broken=True)
        for signum in (signal.SIGCONT, signal.SIGKILL):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass
    code = UNIT_OF["code"]
    deployment.rounds_until(lambda _: any(code in a.get("subject", "") for a in deployment.alerts()), timeout_s=300)

    [alert] = [a for a in deployment.alerts() if "lines" in a and code in a["subject"]]
    assert alert["subject"].startswith(f"{code} is down on ") and "3 health checks in a row failed" in alert["subject"]
    assert any("does not serve at 127.0.0.1" in line for line in alert["lines"])
    assert any("no run starts" in line for line in alert["lines"])
    assert f"journalctl -u {code}" in alert["what_to_do"]
    requests = (deployment.units / "requests.log").read_text()
    assert f"restart {code}" in requests  # it was restarted, and that did not help
    [posted] = [p for p in deployment.webhook.received if code in p["text"]]
    assert "What to do: On " in posted["text"]
    assert any(code in message["Subject"] for message in read_mailbox(deployment.mailbox))
    for pid_name in ("daemon", "code"):  # nothing of Dagster ran to send it
        assert Path(f"/proc/{deployment.pid(pid_name)}").exists() is False or \
            "zombie" in Path(f"/proc/{deployment.pid(pid_name)}/status").read_text().lower()
    secrets = [deployment.webhook.url, deployment.service.env["DAGSTER_PG_PASSWORD"],
               deployment.service.readonly_role[1], "health-test-only"]
    sent = deployment.alert_file.read_text() + json.dumps(deployment.webhook.received)
    assert [secret for secret in secrets if secret in sent] == []
