"""Exactly one email when the run's process dies while the relay answers DATA (issue 17 §2).

A real receiving run (`dg launch`, its own process) hands the reports to a relay that holds its
250 until the test releases it; once the relay has the message's content the run is SIGKILLed.
The relay has the message; the run never learnt it. The next run must not send it again: it finds
the intent recorded before DATA without its confirmation, fails saying which Message-ID to look
for and how to go on, and the operators are alerted. Re-run with force_email, it sends once more."""

from __future__ import annotations

import json
import signal

import pytest
from dagster import DagsterRunStatus, RunsFilter, build_sensor_context

from dps_assets.config.schema import load_config
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.reconciliation.emails import report_subject
from dps_assets.definitions import build_definitions
from dps_assets.embedded.simulated_dps import build_answer, load_tcic, submitted_ids
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets.instance.ledger import latest_email_record
from dps_assets.resources import build_resources
from dps_assets_tests.conftest import TODAY
from dps_assets_tests.support.holding_relay import HoldingRelay
from dps_assets_tests.support.racing_runs import DEMO_CONFIG, RECEIVING, SENDING, ExchangeHome, openssh_settings

pytestmark = pytest.mark.e2e
Q4 = FiscalQuarter.latest_closed(TODAY)  # FY2026-Q4
# The demo configuration's (racing_runs.DEMO_CONFIG), with its subject prefix.
REPORTS_SUBJECT = report_subject(Q4, load_config(DEMO_CONFIG).email.subject_prefix)
DPS_FILES = ("Dfps-missing-person-results.txt", "Dfps-missing-person-counts.txt")
FORCE_EMAIL = {"ops": {"dps_report_delivery": {"config": {"force_email": True}}}}


def report_emails(relay: HoldingRelay) -> list:
    return [m for m in read_mailbox(relay.mailbox) if m["Subject"] == REPORTS_SUBJECT]


def alert_emails(relay: HoldingRelay) -> list:
    return [m for m in read_mailbox(relay.mailbox) if m["Subject"].startswith("[DPS exchange]")]


def test_a_run_killed_after_the_relay_took_the_email_is_not_emailed_again(tmp_path, openssh_server, embedded_data):
    openssh_server.reset()
    with HoldingRelay(tmp_path / "mail") as relay:
        # Without the pools: a killed run's slot is freed by the daemon's run monitoring, which
        # does not run here. The lock alone keeps the guard (test_races.py).
        home = ExchangeHome(tmp_path / "home", sftp=openssh_settings(openssh_server, tmp_path), smtp_port=relay.port,
                            duckdb_path=embedded_data / "caps.duckdb", pools=False)
        sent = home.run(SENDING, Q4.partition_key)  # emails nothing
        assert sent.returncode == 0, sent.output[-3000:]
        request = (openssh_server.from_folder / "End_txt_file.txt").read_bytes()
        answer = build_answer(submitted_ids(request), load_tcic(embedded_data / "tcic.duckdb"), Q4)
        (openssh_server.to_dfps_folder / DPS_FILES[0]).write_bytes(answer.results)
        (openssh_server.to_dfps_folder / DPS_FILES[1]).write_bytes(answer.counts)

        with (tmp_path / "killed.out").open("w") as output:
            killed = home.start(RECEIVING, Q4.partition_key, output=output)
            relay.wait_for_message(timeout_s=300, sender=killed)
            killed.send_signal(signal.SIGKILL)
            assert killed.wait(timeout=60) == -signal.SIGKILL
        relay.release()  # the relay answers 250 to a process that is gone, and holds nothing more
        [first] = report_emails(relay)
        with home.instance() as instance:
            # The relay has the message; the ledger, its intent alone (recorded before DATA).
            intent = latest_email_record(instance, Q4.partition_key)
            assert (intent.message_id, intent.confirmed) == (first["Message-ID"], False)
            [dead] = instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTED]))
            assert intent.run_id == dead.run_id
            instance.report_run_failed(dead)  # what run monitoring does for a run whose worker died

        config = load_config(home.config_path)
        defs = build_definitions(config)
        sensor = defs.resolve_sensor_def("run_failure_alert")
        resources = {k: v for k, v in build_resources(config).items()
                     if k in ("mailer", "local_files", "operator_alerts")}
        with home.instance() as instance:
            ticked = sensor.evaluate_tick(build_sensor_context(instance=instance, definitions=defs,
                                                               resources=resources))
            refused = home.run(RECEIVING, Q4.partition_key)
            [rerun] = instance.get_runs(limit=1)  # the newest
            sensor.evaluate_tick(build_sensor_context(instance=instance, definitions=defs, resources=resources,
                                                      cursor=ticked.cursor))

        # Not sent again: the re-run stops, naming the Message-ID to look for and how to go on.
        assert len(report_emails(relay)) == 1
        assert refused.returncode != 0
        message_id = first["Message-ID"]
        sentence = f"Look for Message-ID {message_id} in a recipient's mailbox"
        [log] = (home.base / "logs" / "from_dps").glob(f"{Q4.tag}_*_{rerun.run_id[:8]}.log")
        [failed] = [line for line in log.read_text().splitlines() if "failed: EmailNotConfirmedError" in line]
        assert sentence in failed and "force_email: true" in failed and "email_arrived" in failed
        # ... and nothing the delivery does after the email happened: DPS's files stay on the server.
        assert all((openssh_server.to_dfps_folder / name).exists() for name in DPS_FILES)
        assert not (home.base / "archive" / "from_dps").exists()

        # The operators are alerted with the same sentence, through every channel.
        [alert] = alert_emails(relay)
        assert alert["Subject"] == f"[DPS exchange] __ASSET_JOB failed for {Q4.label}"
        body = alert.get_content()
        assert sentence in body and f"Run: http://127.0.0.1:3000/runs/{rerun.run_id}" in body
        assert "What to do: Look in the recipients' mailbox" in body
        [line] = [json.loads(x) for x in (home.base / "logs" / "alerts.log").read_text().splitlines()]
        assert any(sentence in text for text in line["lines"])

        # The operator did not find it: force_email sends it again, once, under a new Message-ID.
        forced = home.run(RECEIVING, Q4.partition_key, run_config=FORCE_EMAIL)
        assert forced.returncode == 0, forced.output[-3000:]
        [_, second] = report_emails(relay)
        assert second["Message-ID"] != message_id
        assert not any((openssh_server.to_dfps_folder / name).exists() for name in DPS_FILES)
        [archived] = (home.base / "archive" / "from_dps" / Q4.tag).iterdir()
        assert sorted(p.name for p in archived.iterdir()) == sorted(DPS_FILES)
