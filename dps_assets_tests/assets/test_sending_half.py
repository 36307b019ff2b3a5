"""The whole sending half materialised for one quarter against the DuckDB warehouse and a real
OpenSSH server."""

import stat
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, Failure, materialize

from dps_assets.assets import sending
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.exchange.submissions import OutstandingSubmissionError
from dps_assets.instance.ledger import recorded_submissions
from dps_assets_tests.support.privacy import files_under, leaks, synthetic_identities

Q4 = FiscalQuarter(2026, 4)
SENDING = [sending.dps_export, sending.dps_export_files, sending.dps_submission]


def send(quarter, resources, instance, force=False, raise_on_error=True):
    return materialize(
        SENDING, partition_key=quarter.partition_key, resources=resources, instance=instance,
        run_config={"ops": {"dps_submission": {"config": {"force": force}}}},
        raise_on_error=raise_on_error,
    )


def metadata(result, key):
    [event] = [e for e in result.get_asset_materialization_events()
               if e.asset_key == AssetKey(key)]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sending_half_end_to_end(pipeline_resources, dagster_instance: DagsterInstance,
                                 openssh_server, embedded_data, tmp_path):
    result = send(Q4, pipeline_resources, dagster_instance)
    assert result.success

    export = result.output_for_node("dps_export", "dps_export")
    rejected = result.output_for_node("dps_export", "dps_export_rejected")
    assert len(export) > 1000 and len(rejected) > 0
    assert export["PERSON_ID"].is_unique and export["PERSON_ID"].is_monotonic_increasing

    # DPS's folder holds the file under its final name and nothing else (no temporary file).
    remote = openssh_server.from_folder / "End_txt_file.txt"
    assert sorted(p.name for p in openssh_server.from_folder.iterdir()) == ["End_txt_file.txt"]
    data = remote.read_bytes()
    lines = data.split(b"\r\n")
    assert lines[0] == b"DFPS_PERSON_ID|LAST_NAME|FIRST_NAME|MIDDLE_NAME|DOB|SEX|RACE"
    assert lines[-1] == b"" and len(lines) - 2 == len(export)
    assert b"\n" not in data.replace(b"\r\n", b"")
    data.decode("ascii")

    submitted = metadata(result, "dps_submission")
    assert submitted["uploaded"] is True and submitted["rows"] == len(export)
    assert submitted["fiscal_quarter"] == "FY2026-Q4"
    assert submitted["remote_path"] == str(remote)

    # Both files archived, private, in a folder of their own.
    [archive] = list((tmp_path / "archive" / "to_dps" / "FY2026_Q4").iterdir())
    assert sorted(p.name for p in archive.iterdir()) == ["End_txt_file.txt", "end_export.xlsx"]
    assert (archive / "End_txt_file.txt").read_bytes() == data
    assert mode(archive) == 0o700 and all(mode(p) == 0o600 for p in archive.iterdir())

    # One log file for the run, and nothing personal in it or in any metadata.
    [log] = list((tmp_path / "logs" / "to_dps").iterdir())
    assert log.name.startswith("FY2026_Q4_") and mode(log) == 0o600
    assert "uploaded" in log.read_text()
    names, dobs = synthetic_identities(embedded_data / "caps.duckdb")
    some_name, some_dob = sorted(names)[0], sorted(dobs)[len(dobs) // 2]
    assert len(leaks([("probe", f"x {some_name.title()} {some_dob} y")], names, dobs)) == 2  # it can see
    texts = [(str(p), p.read_text()) for p in [log]]
    texts += [(f"metadata of {e.asset_key.to_user_string()}", str(e.materialization.metadata))
              for e in result.get_asset_materialization_events()]
    texts += [(str(p), str(p)) for p in files_under(tmp_path / "archive", tmp_path / "logs", tmp_path / "work")]
    assert leaks(texts, names, dobs) == []


def test_a_submitted_quarter_is_not_uploaded_again_unless_forced(
        pipeline_resources, dagster_instance, openssh_server, tmp_path):
    send(Q4, pipeline_resources, dagster_instance)
    remote = openssh_server.from_folder / "End_txt_file.txt"
    remote.write_bytes(b"DPS has read it\r\n")  # stands in for a change made on the server

    again = send(Q4, pipeline_resources, dagster_instance)
    assert metadata(again, "dps_submission")["uploaded"] is False
    assert remote.read_bytes() == b"DPS has read it\r\n"
    assert len(list((tmp_path / "archive" / "to_dps" / "FY2026_Q4").iterdir())) == 1

    forced = send(Q4, pipeline_resources, dagster_instance, force=True)
    assert metadata(forced, "dps_submission")["uploaded"] is True
    assert remote.read_bytes().startswith(b"DFPS_PERSON_ID|")
    # The second upload is archived beside the first, never over it.
    assert len(list((tmp_path / "archive" / "to_dps" / "FY2026_Q4").iterdir())) == 2


def test_another_quarter_is_refused_while_one_awaits_dps(pipeline_resources, dagster_instance,
                                                         openssh_server):
    send(Q4, pipeline_resources, dagster_instance)
    before = (openssh_server.from_folder / "End_txt_file.txt").read_bytes()
    # Dagster is given the sentence first (a Failure), raised from our error.
    with pytest.raises(Failure, match="FY2026-Q4 is still waiting") as refused:
        send(FiscalQuarter(2026, 3), pipeline_resources, dagster_instance)
    assert isinstance(refused.value.__cause__, OutstandingSubmissionError)
    assert (openssh_server.from_folder / "End_txt_file.txt").read_bytes() == before


def test_a_failed_upload_leaves_nothing_half_sent(pipeline_resources, dagster_instance,
                                                  openssh_server, tmp_path):
    resources = dict(pipeline_resources)
    resources["sftp"] = openssh_server.resource(from_folder=str(openssh_server.from_folder / "missing"))
    result = send(Q4, resources, dagster_instance, raise_on_error=False)
    assert not result.success
    assert list(openssh_server.from_folder.iterdir()) == []
    # Nothing was sent, so nothing is archived as sent, and no submission is recorded.
    assert not (tmp_path / "archive" / "to_dps").exists()
    assert dagster_instance.fetch_materializations(AssetKey("dps_submission"), limit=1).records == []
    assert recorded_submissions(dagster_instance) == []
