"""Alerts an operator cannot miss: every alert goes through every channel, and no channel
depends on another.

1. An append-only file, `<log_root>/alerts.log` (one JSON line per alert, 0600), written first: a
   host monitor watches it, and it needs nothing but the local disk.
2. A webhook (a Teams or Slack incoming webhook, whose URL is a secret), when configured.
3. Email to the operators through the mailer.
A channel that fails is named in the alert file's line and in the channels after it, and never
stops them; the relay being down is thus reported by the file and the webhook."""

from __future__ import annotations

import json
import os
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from dps_assets.core.operations.alerts import Alert
from dps_assets.core.privacy.errors import ExchangeError
from dps_assets.core.privacy.private_files import FILE_MODE, private_folder
from dps_assets.core.reconciliation.emails import alert_email
from dps_assets.resources.mailer import Mailer


class OperatorAlertsResource(ConfigurableResource):
    """Where the operators' alerts go, and the UI address their links point at."""

    ui_base_url: str = Field(description="the operators' Dagster UI, as operators reach it; alerts link runs there")
    webhook_url: str | None = Field(description="Teams/Slack incoming webhook (from an environment variable), or none")
    sensor_failures_before_alert: int = Field(description="failed SFTP sensor ticks in a row before an alert")
    alert_file: str = Field(description="append-only file of every alert, for a host monitor")

    def run_link(self, run_id: str) -> str:
        return f"{self.ui_base_url.rstrip('/')}/runs/{run_id}"

    def send(self, alert: Alert, mailer: Mailer | None) -> list[str]:
        """Through every channel, the file first; returns the channels that failed (each says
        why), which a second line in the file records too. Without a mailer, the file and the
        webhook alone (the service's health check: dps_assets/service/health.py)."""
        self._append(alert.as_json_line(_now(), []))
        undelivered: list[str] = []
        if self.webhook_url:
            try:
                self._post(alert)
            except Exception as exc:  # noqa: BLE001 - any failure of this channel is reported, not raised
                undelivered.append(f"webhook: {type(exc).__name__}")
        if mailer is not None:
            try:
                mailer.send(alert_email(alert.subject, mailer.sender, mailer.operators,
                                        [*alert.body(), *([f"Not delivered through: {', '.join(undelivered)}"]
                                                          if undelivered else [])]))
            except Exception as exc:  # noqa: BLE001 - the file and the webhook still carry it
                undelivered.append(f"email: {exc if isinstance(exc, ExchangeError) else type(exc).__name__}")
        if undelivered:
            self._append(json.dumps({"at": _now(), "subject": alert.subject, "undelivered": undelivered},
                                    sort_keys=True) + "\n")
        return undelivered

    def _append(self, line: str) -> None:
        private_folder(Path(self.alert_file).parent)
        fd = os.open(self.alert_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        try:
            os.write(fd, line.encode("utf-8"))  # one write per line: concurrent senders never interleave
        finally:
            os.close(fd)

    def _post(self, alert: Alert) -> None:
        request = urllib.request.Request(
            self.webhook_url or "", data=json.dumps({"text": alert.as_text()}).encode("utf-8"),
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            if answer.status >= 300:
                raise OSError(f"webhook answered {answer.status}")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
