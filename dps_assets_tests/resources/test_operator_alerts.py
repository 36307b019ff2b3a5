"""Every alert goes through every channel, and no channel depends on another: the alert file is
written first, the webhook (a real HTTP server on loopback) and the relay follow, and a relay
that is down is reported by the file and the webhook."""

from __future__ import annotations

import json
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dps_assets.core.operations.alerts import Alert
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets.resources.operator_alerts import OperatorAlertsResource
from dps_assets.resources.smtp_mailer import SmtpMailer
from dps_assets_tests.support.servers import free_port

ALERT = Alert("send_to_dps failed for FY2026-Q4", ["Step dps_submission: SftpError: refused"],
              "Check that DPS's SFTP server is reachable.", "https://dps-exchange.example/runs/abc")


@pytest.fixture
def webhook():
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


def alerts(tmp_path, webhook_url=None) -> OperatorAlertsResource:
    return OperatorAlertsResource(ui_base_url="https://dps-exchange.example", webhook_url=webhook_url,
                                  sensor_failures_before_alert=3, alert_file=str(tmp_path / "logs" / "alerts.log"))


def mailer(port: int) -> SmtpMailer:
    return SmtpMailer(host="127.0.0.1", port=port, security="plain", ca_file=None, username=None, password=None,
                      sender="dps-exchange@test.invalid", recipients=["analysts@test.invalid"],
                      operators=["operators@test.invalid"], timeout_s=5, subject_prefix=None,
                      confidentiality_notice="CONFIDENTIAL")


def test_an_alert_reaches_the_file_the_webhook_and_the_operators(tmp_path, webhook, smtp_mailbox):
    url, received = webhook
    port, mailbox = smtp_mailbox
    assert alerts(tmp_path, url).send(ALERT, mailer(port)) == []

    [line] = (tmp_path / "logs" / "alerts.log").read_text().splitlines()
    recorded = json.loads(line)
    assert recorded["subject"] == ALERT.subject and recorded["link"] == ALERT.link
    assert stat.S_IMODE((tmp_path / "logs" / "alerts.log").stat().st_mode) == 0o600
    [posted] = received
    assert ALERT.subject in posted["text"] and "What to do: Check that DPS's SFTP server" in posted["text"]
    [email] = read_mailbox(mailbox)
    assert email["To"] == "operators@test.invalid"
    assert "Run: https://dps-exchange.example/runs/abc" in email.get_content()


def test_a_relay_that_is_down_is_reported_by_the_file_and_the_webhook(tmp_path, webhook):
    url, received = webhook
    undelivered = alerts(tmp_path, url).send(ALERT, mailer(free_port()))
    assert len(undelivered) == 1 and undelivered[0].startswith("email: ")
    first, second = [json.loads(line) for line in (tmp_path / "logs" / "alerts.log").read_text().splitlines()]
    assert first["subject"] == ALERT.subject
    assert second["undelivered"] == undelivered
    assert len(received) == 1


def test_a_webhook_that_is_down_does_not_stop_the_email(tmp_path, smtp_mailbox):
    port, mailbox = smtp_mailbox
    undelivered = alerts(tmp_path, f"http://127.0.0.1:{free_port()}/hook").send(ALERT, mailer(port))
    assert undelivered == ["webhook: URLError"]
    [email] = read_mailbox(mailbox)
    assert "Not delivered through: webhook: URLError" in email.get_content()


def test_a_run_link_points_at_the_configured_ui(tmp_path):
    assert alerts(tmp_path).run_link("1234") == "https://dps-exchange.example/runs/1234"
