"""The SFTP sensor when DPS's server cannot be reached: each tick skips with the reason instead of
failing; after `alerts.sensor_failures_before_alert` failed ticks in a row the operators are
alerted once (alert file and email), and once more when the listing works again."""

from __future__ import annotations

import json

from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets_tests.automation.test_sensor import Ticker
from dps_assets_tests.support.servers import free_port


def test_an_unreachable_server_is_skipped_then_alerted_once_then_recovery_is_alerted(
        receiving_resources, dagster_instance, openssh_server, smtp_mailbox, tmp_path):
    mailbox = smtp_mailbox[1]
    resources = dict(receiving_resources)
    resources["sftp"] = openssh_server.resource(port=free_port(), connect_timeout_s=2)  # nothing listens
    ticker = Ticker(dagster_instance, resources)

    skips = [ticker.tick().skip_message for _ in range(4)]
    assert all(s.startswith("DPS's folder could not be listed (SftpError: ") for s in skips)
    [alert] = read_mailbox(mailbox)
    assert alert["Subject"] == "[DPS exchange] dps_files_sensor has failed 3 times in a row"
    assert "What to do: Check that DPS's SFTP server is reachable" in alert.get_content()
    assert json.loads(ticker.cursor)["health"]["failures"] == 4

    ticker.resources = {**resources, "sftp": openssh_server.resource()}  # DPS's server is back
    assert ticker.tick().skip_message.startswith("waiting for ")
    assert [m["Subject"] for m in read_mailbox(mailbox)][1:] == ["[DPS exchange] dps_files_sensor recovered"]
    assert ticker.tick().skip_message.startswith("waiting for ")
    assert len(read_mailbox(mailbox)) == 2
    alert_lines = [json.loads(line)["subject"] for line in (tmp_path / "logs" / "alerts.log").read_text().splitlines()]
    assert alert_lines == ["dps_files_sensor has failed 3 times in a row", "dps_files_sensor recovered"]
