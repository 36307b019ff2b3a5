"""The sending half's guards that are not races: an export that is empty or moved too far from
the same quarter a year earlier is not uploaded without force, and the turn of the fiscal year
(a Q1 after a Q4) is not taken for such a move; a backfill of several quarters is refused;
a quarter already submitted is rebuilt without an upload while another quarter awaits DPS."""

from __future__ import annotations

import pytest
from dagster import AssetCheckKey, AssetKey, AssetMaterialization, materialize

from dps_assets.assets import sending
from dps_assets.assets.partitions import fiscal_quarter_partitions
from dps_assets.assets.sending_checks import dps_export_size_plausible
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.instance.ledger import recorded_submissions
from dps_assets.resources import build_resources
from dps_assets_tests.conftest import demo_config_for as configured_for

Q3, Q4 = FiscalQuarter(2026, 3), FiscalQuarter(2026, 4)
NEXT_Q1 = FiscalQuarter(2027, 1)
SENDING = [sending.dps_export, sending.dps_export_files, sending.dps_submission, dps_export_size_plausible]
HALF_THE_CHILDREN = "select * from ({export}) where person_id % 2 = 0"
NO_CHILDREN = "select * from ({export}) where 1 = 0"


def resources_with_export(tmp_path, embedded_data, sftp_resource, wrap: str | None) -> dict:
    config = configured_for(tmp_path, embedded_data)
    if wrap:
        export = wrap.format(export=config.sql.export.strip().replace("order by e.cvs_episode_id", ""))
        config = config.model_copy(update={"sql": config.sql.model_copy(update={"export": export})})
    resources = build_resources(config)
    resources["sftp"] = sftp_resource
    return resources


def send(quarter, resources, instance, force=False, **tags):
    return materialize(SENDING, partition_key=quarter.partition_key if not tags else None,
                       resources=resources, instance=instance, raise_on_error=False,
                       run_config={"ops": {"dps_submission": {"config": {"force": force}}}}, tags=tags or None)


def check_result(result):
    [evaluation] = [e.event_specific_data for e in result.all_events
                    if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert evaluation.asset_check_key == AssetCheckKey(AssetKey("dps_export_files"), "dps_export_size_plausible")
    return evaluation


def uploaded(result) -> bool:
    return AssetKey("dps_submission") in {e.asset_key for e in result.get_asset_materialization_events()}


def test_an_empty_export_is_not_uploaded(tmp_path, embedded_data, sftp_resource, dagster_instance, openssh_server):
    resources = resources_with_export(tmp_path, embedded_data, sftp_resource, NO_CHILDREN)
    result = send(Q4, resources, dagster_instance)
    evaluation = check_result(result)
    assert not evaluation.passed
    assert "has no children to send" in evaluation.description
    assert not uploaded(result)
    assert list(openssh_server.from_folder.iterdir()) == []
    assert recorded_submissions(dagster_instance) == []


def answered(instance, quarter) -> None:
    """DPS's answer to `quarter` fetched, as the receiving half records it: the next quarter may go."""
    instance.report_runless_asset_event(AssetMaterialization("dps_results", partition=quarter.partition_key))


def test_an_export_that_doubled_since_the_same_quarter_a_year_earlier_waits_for_force(
        tmp_path, embedded_data, sftp_resource, dagster_instance, openssh_server):
    year_earlier = Q4.a_year_earlier()
    half = resources_with_export(tmp_path / "half", embedded_data, sftp_resource, HALF_THE_CHILDREN)
    assert uploaded(send(year_earlier, half, dagster_instance))
    first_file = (openssh_server.from_folder / "End_txt_file.txt").read_bytes()
    answered(dagster_instance, year_earlier)

    full = resources_with_export(tmp_path / "full", embedded_data, sftp_resource, None)
    refused = send(Q4, full, dagster_instance)
    evaluation = check_result(refused)
    assert not evaluation.passed and "against" in evaluation.description and "FY2025-Q4" in evaluation.description
    assert evaluation.metadata["compared_with"].value == "FY2025-Q4"
    assert evaluation.metadata["compared_with_rows"].value == recorded_submissions(dagster_instance)[0].rows
    assert evaluation.metadata["rows"].value > 1.2 * evaluation.metadata["compared_with_rows"].value
    assert not uploaded(refused)
    assert (openssh_server.from_folder / "End_txt_file.txt").read_bytes() == first_file
    # The run's page says the check's sentence first: the check's step failed with a Failure
    # whose description it is, with what to do; our error and its trace follow, for the alert.
    [failure] = [e for e in refused.all_events if e.event_type_value == "STEP_FAILURE"]
    data = failure.step_failure_data
    assert failure.step_key == "dps_export_files_dps_export_size_plausible"
    assert data.user_failure_data.description.startswith(evaluation.description.split(";")[0])
    assert data.user_failure_data.description.endswith("re-run with force: true to send it anyway.")
    assert data.error.message.split("\n")[0].endswith(f"Failure: {data.user_failure_data.description}")
    metadata = {k: v.value for k, v in data.user_failure_data.metadata.items()}
    assert metadata["error"] == "ExportSizeError" and "force: true" in metadata["what to do"]
    assert metadata["run log file"].startswith(str(tmp_path / "full" / "logs" / "to_dps"))
    assert data.error.cause.cls_name == "ExportSizeError" and data.error.cause.stack

    forced = send(Q4, full, dagster_instance, force=True)
    assert check_result(forced).passed and uploaded(forced)
    assert [s.quarter for s in recorded_submissions(dagster_instance)] == [year_earlier, Q4]


def test_the_first_quarter_after_a_fourth_is_sent_without_force(tmp_path, embedded_data, sftp_resource,
                                                                dagster_instance, openssh_server):
    # Windows are fiscal year to date: FY2027-Q1's covers 3 months, FY2026-Q4's 12, so it has far
    # fewer children than the quarter sent before it, and about as many as FY2026-Q1 had.
    resources = resources_with_export(tmp_path, embedded_data, sftp_resource, None)
    year_earlier = NEXT_Q1.a_year_earlier()
    for quarter in (year_earlier, Q4):
        sent = send(quarter, resources, dagster_instance)
        assert uploaded(sent)
        evaluation = check_result(sent)
        # Nothing sent for FY2025-Q1 or FY2025-Q4: the size was not compared, and the check says so.
        assert evaluation.passed and evaluation.metadata["compared_with"].value == "none"
        assert evaluation.metadata["compared_with_rows"].value == 0
        assert "the size was not compared" in evaluation.description
        answered(dagster_instance, quarter)

    dagster_instance.add_dynamic_partitions(fiscal_quarter_partitions.name, [NEXT_Q1.partition_key])
    after_the_turn = send(NEXT_Q1, resources, dagster_instance)
    evaluation = check_result(after_the_turn)
    rows = {s.quarter: s.rows for s in recorded_submissions(dagster_instance)}
    assert evaluation.metadata["rows"].value < 0.8 * rows[Q4]  # more than 20 % below the quarter before
    assert evaluation.passed and uploaded(after_the_turn)
    assert evaluation.metadata["compared_with"].value == "FY2026-Q1"
    assert evaluation.metadata["compared_with_rows"].value == rows[year_earlier]
    assert "the same quarter a year earlier" in evaluation.description
    assert list(rows) == [year_earlier, Q4, NEXT_Q1]


def test_a_quarter_already_sent_is_rebuilt_without_upload_while_another_awaits_dps(
        tmp_path, embedded_data, sftp_resource, dagster_instance, openssh_server):
    resources = resources_with_export(tmp_path, embedded_data, sftp_resource, None)
    assert uploaded(send(Q3, resources, dagster_instance))
    assert uploaded(send(Q4, resources, dagster_instance, force=True))  # Q3 still awaits DPS
    again = send(Q3, resources, dagster_instance)
    assert again.success
    [event] = [e for e in again.get_asset_materialization_events() if e.asset_key == AssetKey("dps_submission")]
    assert event.materialization.metadata["uploaded"].value is False
    assert len(recorded_submissions(dagster_instance)) == 2


def test_a_run_over_several_quarters_is_refused_before_anything_runs(tmp_path, embedded_data, sftp_resource,
                                                                     dagster_instance, openssh_server):
    resources = resources_with_export(tmp_path, embedded_data, sftp_resource, None)
    result = send(None, resources, dagster_instance, **{
        "dagster/asset_partition_range_start": FiscalQuarter(2025, 1).partition_key,
        "dagster/asset_partition_range_end": Q4.partition_key})
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "dps_export"
    message = failure.event_specific_data.error.cause.message
    assert "FY2025-Q1 .. FY2026-Q4" in message and "one quarter at a time" in message
    assert list(openssh_server.from_folder.iterdir()) == []


@pytest.mark.parametrize("added_by_hand, why", [
    ("2026-06-01", "is not a fiscal quarter's name"),  # a key in the old spelling
    ("FY2027-Q4", "FY2027-Q4 has not closed"),         # a quarter that has not ended
])
def test_a_partition_added_by_hand_that_is_no_closed_quarter_is_refused(
        added_by_hand, why, tmp_path, embedded_data, sftp_resource, dagster_instance, openssh_server):
    # The launch dialog's "Add a partition" lets anyone add a key; nothing is sent for it.
    dagster_instance.add_dynamic_partitions(fiscal_quarter_partitions.name, [added_by_hand])
    resources = resources_with_export(tmp_path, embedded_data, sftp_resource, None)
    result = materialize(SENDING, partition_key=added_by_hand, resources=resources,
                         instance=dagster_instance, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "dps_export"
    assert why in failure.event_specific_data.error.cause.message
    assert list(openssh_server.from_folder.iterdir()) == []


def test_the_submission_time_is_a_timestamp_the_ui_shows_as_one(tmp_path, embedded_data, sftp_resource,
                                                                  dagster_instance, openssh_server):
    from dagster import TimestampMetadataValue

    resources = resources_with_export(tmp_path, embedded_data, sftp_resource, None)
    result = send(Q4, resources, dagster_instance)
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == AssetKey("dps_submission")]
    submitted = event.materialization.metadata["submitted_at"]
    assert isinstance(submitted, TimestampMetadataValue)
    assert recorded_submissions(dagster_instance)[0].submitted_at == submitted.value
