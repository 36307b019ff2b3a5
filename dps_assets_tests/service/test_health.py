"""The health check's parts that need no Dagster process: the webserver's check against servers
that answer, refuse, hang or answer wrongly; the `health:` settings refused at load; and a round
that restarts a unit with the configured command and, once it stays down, alerts through the
alert file and a real webhook on loopback. The Dagster checks themselves, on the real processes:
end_to_end/test_service_health.py."""

from __future__ import annotations

import json
import socket
import stat
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from dps_assets.config.file import ConfigError
from dps_assets.config.schema import load_config
from dps_assets.service.health import run_round
from dps_assets.service.health_checks import check_webserver
from dps_assets_tests.support.servers import free_port

REPO = Path(__file__).resolve().parents[2]
SERVER_INFO = {"dagster_webserver_version": "1.13.27", "dagster_version": "1.13.27"}


class Answers(BaseHTTPRequestHandler):
    status, body = 200, json.dumps(SERVER_INFO).encode()

    def do_GET(self) -> None:
        if self.path == "/hook":
            self.send_response(405)
            self.end_headers()
            return
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def do_POST(self) -> None:
        self.server.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    server.received = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_a_webserver_that_answers_its_server_info_passes(http_server):
    assert check_webserver(f"http://127.0.0.1:{http_server.server_port}", 5).problem is None


def test_a_webserver_that_is_not_running_fails():
    problem = check_webserver(f"http://127.0.0.1:{free_port()}", 5).problem
    assert problem and "is not reachable (ConnectionRefusedError): not running" in problem


def test_a_hung_webserver_fails_at_the_timeout():
    with socket.create_server(("127.0.0.1", 0)) as listening:  # accepts connections, never answers
        problem = check_webserver(f"http://127.0.0.1:{listening.getsockname()[1]}", 1).problem
    assert problem and problem.endswith("did not answer within 1 s: hung")


@pytest.mark.parametrize(("status", "body", "expected"), [
    (502, b"bad gateway", "answered HTTP 502"),
    (200, b"<html>a proxy's login page</html>", "gave no webserver's answer (JSONDecodeError)"),
    (200, b'{"status": "ok"}', "answered, but not as a Dagster webserver does"),
])
def test_a_webserver_that_answers_wrongly_fails(http_server, monkeypatch, status, body, expected):
    monkeypatch.setattr(Answers, "status", status)
    monkeypatch.setattr(Answers, "body", body)
    problem = check_webserver(f"http://127.0.0.1:{http_server.server_port}", 5).problem
    assert problem and expected in problem


def demo_config(tmp_path: Path, health: dict, **alerts: str) -> Path:
    config = yaml.safe_load((REPO / "dps_config.demo.yml").read_text(encoding="utf-8"))
    config["directories"] = {name: str(tmp_path / name) for name in ("archive_root", "log_root", "work_root")}
    config["email"]["port"] = free_port()  # no relay: the email is reported undelivered
    config["alerts"] = {**config.get("alerts", {}), **alerts}
    config["health"] = health
    path = tmp_path / "dps_config.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.mark.parametrize(("health", "expected"), [
    ({"units": [{"unit": "dps-exchange-code.service", "check": "code_server"}]}, "needs address host:port"),
    ({"units": [{"unit": "dps-exchange-daemon.service", "check": "daemon", "address": "127.0.0.1:1"}]},
     "takes no address"),
    ({"units": [{"unit": "dps-exchange-webserver.service", "check": "webserver", "address": "127.0.0.1:3000"}]},
     "needs address http://host:port"),
    ({"units": [{"unit": "dps-exchange-daemon", "check": "daemon"}]}, "health.units.0.unit"),
    ({"units": [{"unit": "a.service", "check": "daemon"}, {"unit": "a.service", "check": "daemon"}]},
     "each unit may be listed once"),
    ({"restart_command": ["systemctl", "restart"]}, "{unit}"),
    ({"failures_before_alert": 0}, "health.failures_before_alert"),
])
def test_health_settings_are_checked_when_the_configuration_loads(tmp_path, health, expected):
    with pytest.raises(ConfigError, match="health") as refused:
        load_config(demo_config(tmp_path, health))
    assert expected in str(refused.value)


def test_a_unit_that_stays_down_is_restarted_then_alerted_through_the_file_and_the_webhook(
        tmp_path, http_server, monkeypatch):
    restarts = tmp_path / "restarts"
    record = f"import sys; open({str(restarts)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')"
    down = f"http://127.0.0.1:{free_port()}"
    hook = f"http://127.0.0.1:{http_server.server_port}/hook"
    monkeypatch.setenv("HEALTH_TEST_WEBHOOK", hook)
    config = load_config(demo_config(tmp_path, {
        "units": [{"unit": "dps-exchange-webserver.service", "check": "webserver", "address": down},
                  {"unit": "dps-exchange-webserver-readonly.service", "check": "webserver",
                   "address": f"http://127.0.0.1:{http_server.server_port}"}],
        "failures_before_alert": 2, "check_timeout_s": 5, "restart_grace_s": 0,
        "restart_command": [sys.executable, "-c", record, "restart", "{unit}"]},
        webhook_url_env="HEALTH_TEST_WEBHOOK"))
    state = tmp_path / "state" / "units.json"
    alert_file = tmp_path / "log_root" / "alerts.log"

    run_round(config, state, {"PATH": "/usr/bin:/bin", "HEALTH_TEST_WEBHOOK": hook}, now=1000)
    assert restarts.read_text() == "restart dps-exchange-webserver.service\n"  # the healthy one is left alone
    assert not alert_file.exists() and http_server.received == []  # one failure is not yet "down"
    run_round(config, state, {"PATH": "/usr/bin:/bin", "HEALTH_TEST_WEBHOOK": hook}, now=1060)
    assert restarts.read_text().count("restart dps-exchange-webserver.service") == 2

    first, undelivered = [json.loads(line) for line in alert_file.read_text().splitlines()]
    assert first["subject"].startswith("dps-exchange-webserver.service is down on ")
    assert "journalctl -u dps-exchange-webserver.service" in first["what_to_do"]
    assert any("restarted it 2 time(s)" in line and "exited 0" in line for line in first["lines"])
    assert undelivered["undelivered"][0].startswith("email: ")  # no relay here; the webhook carried it
    [posted] = http_server.received
    assert first["subject"] in posted["text"] and hook not in posted["text"]
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert json.loads(state.read_text())["dps-exchange-webserver.service"]["alerted"] is True

    run_round(config, state, {"PATH": "/usr/bin:/bin", "HEALTH_TEST_WEBHOOK": hook}, now=1120)
    assert len(http_server.received) == 1  # alerted once, not every minute


def test_a_channel_whose_secret_the_health_check_lacks_is_named_in_the_alert(tmp_path, monkeypatch):
    monkeypatch.delenv("HEALTH_TEST_WEBHOOK", raising=False)
    config = load_config(demo_config(tmp_path, {
        "units": [{"unit": "dps-exchange-webserver.service", "check": "webserver",
                   "address": f"http://127.0.0.1:{free_port()}"}],
        "failures_before_alert": 1, "check_timeout_s": 5,
        "restart_command": [sys.executable, "-c", "import sys; sys.exit(1)", "{unit}"]},
        webhook_url_env="HEALTH_TEST_WEBHOOK"))
    run_round(config, tmp_path / "state.json", {"PATH": "/usr/bin:/bin"}, now=1000)
    first = json.loads((tmp_path / "log_root" / "alerts.log").read_text().splitlines()[0])
    assert "Not sent through: webhook (the health check does not hold HEALTH_TEST_WEBHOOK)." in first["lines"]
    assert any("failed (exit 1; its message is in the health check's journal)" in line for line in first["lines"])
