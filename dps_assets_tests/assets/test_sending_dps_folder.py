"""What a sending run finds in DPS's folder and what it does about it, against real OpenSSH servers:
the upload of a run killed between the server's rename and its record (recorded, not sent
again), the unfinished upload of a run killed mid-transfer (swept by the next run at once,
however young), and the older file a server that refuses deletes keeps (said in the run, its
metadata and an operator alert).

The killed runs are real: a sending run in a process of its own stops at the point named
(`support.stopped_runs`) and is SIGKILLed there; its Dagster run stays STARTED, as a dead
worker's does. The next run is an ordinary one on the same instance."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from dagster import AssetKey, DagsterRunStatus

from dps_assets.config.schema import load_config
from dps_assets.core.quarters import FiscalQuarter
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets.instance.ledger import recorded_submissions
from dps_assets.resources import build_resources
from dps_assets_tests.assets.test_sending_half import Q4, metadata, send
from dps_assets_tests.conftest import exchange_instance
from dps_assets_tests.support.folder_watch import FolderWatch
from dps_assets_tests.support.privacy import leaks, synthetic_identities
from dps_assets_tests.support.racing_runs import ExchangeHome, openssh_settings
from dps_assets_tests.support.stopped_runs import StoppedRun

NAME = "End_txt_file.txt"
IO_TIMEOUT_S = 60  # the sftp section's default, which spares a younger unfinished upload by age


def home_for(tmp_path: Path, server, embedded_data: Path) -> ExchangeHome:
    # No pools: the killed run would hold the dps_folder slot until run monitoring frees it. The
    # lock alone decides here, as it must.
    return ExchangeHome(tmp_path / "home", sftp=openssh_settings(server, tmp_path, io_timeout_s=IO_TIMEOUT_S),
                        smtp_port=1, duckdb_path=embedded_data / "caps.duckdb", pools=False)


def killed_at(point: str, home: ExchangeHome, server, tmp_path: Path) -> None:
    run = StoppedRun.start(home, Q4.partition_key, point, tmp_path / f"killed_{point}.log")
    run.wait_until_stopped()
    run.kill()
    server.wait_for_sessions_to_end()  # the server is done with the dead run's session
    with home.instance() as instance:
        [killed] = instance.get_runs()
        assert killed.status == DagsterRunStatus.STARTED  # Dagster does not know it died


def send_again(home: ExchangeHome, **kwargs):
    with home.instance() as instance:
        return send(Q4, build_resources(load_config(home.config_path)), instance, **kwargs)


def test_an_upload_whose_run_died_before_recording_it_is_recorded_by_the_next_run_not_sent_again(
        tmp_path, openssh_server, embedded_data):
    openssh_server.reset()
    home = home_for(tmp_path, openssh_server, embedded_data)
    remote = openssh_server.from_folder / NAME
    killed_at("renamed", home, openssh_server, tmp_path)
    # What the dead worker left: DPS has the file, the ledger has no submission.
    sent = remote.stat()
    assert sorted(p.name for p in openssh_server.from_folder.iterdir()) == [NAME]
    assert home.submissions() == []

    with FolderWatch(openssh_server.from_folder) as watch:
        result = send_again(home)
        events = watch.events()
    assert result.success
    assert events == []  # nothing created, written, renamed or removed in DPS's folder
    assert (remote.stat().st_ino, remote.stat().st_mtime_ns) == (sent.st_ino, sent.st_mtime_ns)
    recorded = metadata(result, "dps_submission")
    assert recorded["uploaded"] is False and recorded["reconciled_from_server"] is True
    assert recorded["sha256"] == hashlib.sha256(remote.read_bytes()).hexdigest()
    # Submitted when the file was written on the server, the honest time of the upload.
    [submission] = home.submissions()
    assert (submission.quarter, submission.submitted_at) == (Q4, int(sent.st_mtime))
    assert submission.sha256 == recorded["sha256"] and recorded["submitted_at"] == int(sent.st_mtime)
    # Archived as sent, as an upload is.
    assert (Path(recorded["archive_folder"]) / NAME).read_bytes() == remote.read_bytes()
    [log] = (home.base / "logs" / "to_dps").glob(f"{Q4.tag}_*_{result.run_id[:8]}.log")
    assert "by a run that died before recording it" in log.read_text()

    # From now on the quarter is simply submitted.
    again = send_again(home)
    assert metadata(again, "dps_submission")["uploaded"] is False
    assert "reconciled_from_server" not in metadata(again, "dps_submission")
    assert (remote.stat().st_ino, remote.stat().st_mtime_ns) == (sent.st_ino, sent.st_mtime_ns)
    assert len(home.submissions()) == 1


def test_a_run_killed_mid_upload_leaves_nothing_beside_the_file_the_next_run_sends(
        tmp_path, openssh_server, embedded_data):
    openssh_server.reset()
    home = home_for(tmp_path, openssh_server, embedded_data)
    killed_at("writing", home, openssh_server, tmp_path)
    [partial] = openssh_server.from_folder.iterdir()
    assert partial.name.startswith(f".{NAME}.") and partial.name.endswith(".partial")
    assert partial.stat().st_size > 0
    assert time.time() - partial.stat().st_mtime < IO_TIMEOUT_S  # young: its age alone spares it

    result = send_again(home)  # at once: the killed run's upload is not yet stale by age
    assert result.success and metadata(result, "dps_submission")["uploaded"] is True
    assert sorted(p.name for p in openssh_server.from_folder.iterdir()) == [NAME]
    [submission] = home.submissions()
    assert submission.sha256 == hashlib.sha256((openssh_server.from_folder / NAME).read_bytes()).hexdigest()


def test_a_file_in_dps_folder_that_is_not_the_one_to_send_is_replaced_as_before(
        pipeline_resources, dagster_instance, openssh_server):
    with exchange_instance() as elsewhere:  # a ledger that is not this one
        first = send(Q4, pipeline_resources, elsewhere)
    remote = openssh_server.from_folder / NAME
    sent = remote.read_bytes()
    remote.write_bytes(bytes([sent[0] ^ 1]) + sent[1:])  # other bytes of the same size
    result = send(Q4, pipeline_resources, dagster_instance)
    recorded = metadata(result, "dps_submission")
    assert recorded["uploaded"] is True and "reconciled_from_server" not in recorded
    assert remote.read_bytes() == sent and recorded["sha256"] == metadata(first, "dps_submission")["sha256"]
    assert len(recorded_submissions(dagster_instance)) == 1


def test_an_older_file_a_server_will_not_remove_is_said_in_the_run_its_metadata_and_an_alert(
        receiving_resources, dagster_instance, undeleting_openssh, smtp_mailbox, embedded_data, tmp_path):
    undeleting_openssh.reset()
    resources = {**receiving_resources, "sftp": undeleting_openssh.resource()}
    q3 = send(FiscalQuarter(2026, 3), resources, dagster_instance)
    assert "left_on_server" not in metadata(q3, "dps_submission")
    q3_file = (undeleting_openssh.from_folder / NAME).read_bytes()

    q4 = send(Q4, resources, dagster_instance, force=True)  # FY2026-Q3 still awaits DPS
    assert q4.success and metadata(q4, "dps_submission")["uploaded"] is True
    [aside] = [p for p in undeleting_openssh.from_folder.iterdir() if p.name != NAME]
    assert aside.name.endswith(".previous") and aside.read_bytes() == q3_file
    named = str(aside)
    assert metadata(q4, "dps_submission")["left_on_server"] == [named]
    [observation] = [e.event_specific_data.asset_observation for e in q4.all_events
                     if e.event_type_value == "ASSET_OBSERVATION"
                     and e.event_specific_data.asset_observation.asset_key == AssetKey("dps_submission")]
    assert observation.metadata["left_on_server"].value == [named]

    [log] = (tmp_path / "logs" / "to_dps").glob(f"{Q4.tag}_*_{q4.run_id[:8]}.log")
    [warning] = [line for line in log.read_text().splitlines() if "would not let us remove" in line]
    assert "WARNING" in warning and named in warning
    [line] = (tmp_path / "logs" / "alerts.log").read_text().splitlines()
    alert = json.loads(line)
    assert named in alert["subject"] and named in alert["lines"] and q4.run_id in alert["link"]
    [email] = read_mailbox(smtp_mailbox[1])
    assert email["To"] == "operators@test.invalid" and named in email["Subject"]
    names, dobs = synthetic_identities(embedded_data / "caps.duckdb")
    assert leaks([("log", warning), ("alerts.log", line), ("email", email.get_content())], names, dobs) == []
