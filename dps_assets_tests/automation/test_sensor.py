"""The SFTP sensor evaluated tick by tick against a real OpenSSH server."""

import os

import pytest
from dagster import (
    AssetMaterialization,
    DagsterRun,
    DagsterRunStatus,
    Definitions,
    build_sensor_context,
    load_assets_from_modules,
    materialize,
)

from dps_assets.assets import receiving, report_delivery, reports, sending
from dps_assets.automation.jobs import receive_from_dps_job
from dps_assets.automation.sensors import build_dps_files_sensor
from dps_assets.core.exchange.agency_time import us_epoch_time
from dps_assets.core.exchange.quarters import FiscalQuarter

Q4 = FiscalQuarter(2026, 4)
RESULTS, COUNTS = "Dfps-missing-person-results.txt", "Dfps-missing-person-counts.txt"
SENSOR = build_dps_files_sensor(receive_from_dps_job, poll_interval_s=5, running=True)


class Ticker:
    """Evaluates ticks the way the daemon does: the cursor of one tick is given to the next."""

    def __init__(self, instance, resources):
        self.instance, self.resources, self.cursor = instance, resources, None
        self.definitions = Definitions(
            assets=load_assets_from_modules([sending, receiving, reports, report_delivery]),
            jobs=[receive_from_dps_job], sensors=[SENSOR], resources=resources)

    def tick(self):
        # The daemon gives a sensor its instance by reference, which is what lets Dagster check a
        # run request's partition against the instance's (dynamic) quarters.
        context = build_sensor_context(instance=self.instance, instance_ref=self.instance.get_ref(),
                                       cursor=self.cursor,
                                       definitions=self.definitions,
                                       resources={k: self.resources[k] for k in
                                                  ("sftp", "exchange_rules", "mailer", "operator_alerts")})
        data = SENSOR.evaluate_tick(context)
        self.cursor = data.cursor
        return data


@pytest.fixture
def submitted_at(pipeline_resources, dagster_instance) -> float:
    result = materialize([sending.dps_export, sending.dps_export_files, sending.dps_submission],
                         partition_key=Q4.partition_key, resources=pipeline_resources, instance=dagster_instance)
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.path == ["dps_submission"]]
    return event.materialization.metadata["submitted_at"].value


def drop(server, name, data: bytes, mtime: float):
    path = server.to_dfps_folder / name
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def test_waits_for_both_files_then_for_them_to_stop_growing(openssh_server, pipeline_resources,
                                                           dagster_instance, submitted_at):
    ticker = Ticker(dagster_instance, pipeline_resources)
    later = submitted_at + 60
    drop(openssh_server, RESULTS, b"HEADER\r\npart", later)
    only_one = ticker.tick()
    assert not only_one.run_requests
    assert "waiting for Dfps-missing-person-counts.txt" in only_one.skip_message

    drop(openssh_server, COUNTS, b"MEASURE|COUNT\r\n", later)
    first_sight = ticker.tick()
    assert not first_sight.run_requests and "one more poll" in first_sight.skip_message

    grown = b"HEADER\r\npart and more"
    drop(openssh_server, RESULTS, grown, later + 1)  # still being written
    growing = ticker.tick()
    assert not growing.run_requests and "one more poll" in growing.skip_message

    settled = ticker.tick()
    [request] = settled.run_requests
    assert request.partition_key == Q4.partition_key
    assert request.tags["fiscal_quarter"] == "FY2026-Q4"
    assert request.tags[f"dps/{RESULTS}"] == f"{len(grown)}:{int(later + 1)}"  # what the run compares
    # What analysts read: the size and the time the file was written, in Central time.
    written = us_epoch_time(int(later + 1))
    assert request.tags["dps/results file"] == f"{len(grown)} bytes, written {written}"
    assert request.tags["dps/counts file"] == f"15 bytes, written {us_epoch_time(int(later))}"
    assert written.endswith(("CST", "CDT")) and ":" in written
    assert request.run_key.startswith("dps-files-FY2026-Q4-")

    # A restarted sensor has only its cursor: the same files are not handed over twice.
    restarted = Ticker(dagster_instance, pipeline_resources)
    restarted.cursor = ticker.cursor
    again = restarted.tick()
    assert not again.run_requests and "already handed to a run" in again.skip_message
    # Once the run exists, the tick names it.
    dagster_instance.add_run(DagsterRun(job_name="receive_from_dps", run_id="0123abcd-run", tags=request.tags,
                                        status=DagsterRunStatus.SUCCESS))
    named = restarted.tick()
    assert "already handed over as run 0123abcd for FY2026-Q4 (success)" in named.skip_message


def test_files_older_than_the_submission_are_ignored(openssh_server, pipeline_resources,
                                                     dagster_instance, submitted_at):
    ticker = Ticker(dagster_instance, pipeline_resources)
    earlier = submitted_at - 3600
    drop(openssh_server, RESULTS, b"old", earlier)
    drop(openssh_server, COUNTS, b"old", earlier)
    ticker.tick()
    stale = ticker.tick()
    assert not stale.run_requests and "older than every submission" in stale.skip_message


def test_a_redelivery_for_the_same_quarter_gets_a_new_run(openssh_server, pipeline_resources,
                                                          dagster_instance, submitted_at):
    ticker = Ticker(dagster_instance, pipeline_resources)
    drop(openssh_server, RESULTS, b"first", submitted_at + 60)
    drop(openssh_server, COUNTS, b"first", submitted_at + 60)
    ticker.tick()
    [first] = ticker.tick().run_requests
    # The run fetched DPS's answer...
    dagster_instance.report_runless_asset_event(AssetMaterialization("dps_results", partition=Q4.partition_key))
    # ...and later DPS sends corrected files.
    drop(openssh_server, RESULTS, b"corrected", submitted_at + 7200)
    drop(openssh_server, COUNTS, b"corrected", submitted_at + 7200)
    ticker.tick()
    [second] = ticker.tick().run_requests
    assert second.partition_key == Q4.partition_key and second.run_key != first.run_key


def test_no_submission_no_run(openssh_server, pipeline_resources, dagster_instance):
    ticker = Ticker(dagster_instance, pipeline_resources)
    drop(openssh_server, RESULTS, b"x", 2_000_000_000)
    drop(openssh_server, COUNTS, b"x", 2_000_000_000)
    ticker.tick()
    assert "older than every submission" in ticker.tick().skip_message  # no submission at all
