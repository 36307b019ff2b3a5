"""The operators' alerts: DPS's answer overdue, and a failed run, both emailed through the
embedded SMTP server; what a failure writes into the run's log file."""

from pathlib import Path

from dagster import Definitions, build_run_status_sensor_context, build_sensor_context, load_assets_from_modules

from dps_assets.assets import sending
from dps_assets.automation.alert_sensors import ALERTED_TAG, build_overdue_sensor, build_run_failure_alert
from dps_assets.automation.jobs import send_to_dps_job
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.embedded.smtp_server import read_mailbox

Q4 = FiscalQuarter(2026, 4)


def send_q4(resources: dict, instance, raise_on_error: bool = True):
    definitions = Definitions(assets=load_assets_from_modules([sending]), jobs=[send_to_dps_job],
                              resources=resources)
    job = definitions.resolve_job_def("send_to_dps")
    return job.execute_in_process(partition_key=Q4.partition_key, instance=instance,
                                  raise_on_error=raise_on_error)


def tick(sensor, instance, resources: dict, cursor: str | None):
    context = build_sensor_context(instance=instance, cursor=cursor, resources={
        "mailer": resources["mailer"], "operator_alerts": resources["operator_alerts"]})
    return sensor.evaluate_tick(context)


def test_an_overdue_answer_is_emailed_to_the_operators_once(receiving_resources, dagster_instance,
                                                            smtp_mailbox):
    send_q4(receiving_resources, dagster_instance)
    mailbox = smtp_mailbox[1]

    within = tick(build_overdue_sensor(6, 60, True), dagster_instance, receiving_resources, None)
    assert within.skip_message == "no submission is past the deadline"
    assert read_mailbox(mailbox) == []

    # A deadline of zero hours: the submission just made is already late.
    late = build_overdue_sensor(0, 60, True)
    first = tick(late, dagster_instance, receiving_resources, None)
    [alert] = read_mailbox(mailbox)
    assert alert["To"] == "operators@test.invalid"
    assert alert["Subject"].startswith("[DPS exchange] no answer from DPS for FY2026-Q4 after ")
    assert "Check the TO_DFPS folder" in alert.get_content()

    again = tick(late, dagster_instance, receiving_resources, first.cursor)
    assert again.skip_message == "no submission is past the deadline"
    assert len(read_mailbox(mailbox)) == 1


def test_a_failed_run_is_emailed_to_the_operators_and_written_to_its_log(
        receiving_resources, dagster_instance, smtp_mailbox, openssh_server, tmp_path: Path):
    resources = dict(receiving_resources)
    missing = openssh_server.from_folder / "missing"
    resources["sftp"] = openssh_server.resource(from_folder=str(missing))
    result = send_q4(resources, dagster_instance, raise_on_error=False)
    assert not result.success

    alert_sensor = build_run_failure_alert(running=True)
    context = build_run_status_sensor_context(
        sensor_name="run_failure_alert", dagster_event=result.get_run_failure_event(),
        dagster_instance=dagster_instance, dagster_run=result.dagster_run,
        resources={"mailer": resources["mailer"], "local_files": resources["local_files"],
                   "operator_alerts": resources["operator_alerts"]},
    ).for_run_failure()
    alert_sensor(context)

    # Dagster records a killed run's failure twice at times (the code server and run monitoring
    # both see the worker gone): the second is not alerted again.
    alert_sensor(context)

    [alert] = read_mailbox(smtp_mailbox[1])
    assert dagster_instance.get_run_by_id(result.run_id).tags[ALERTED_TAG] == result.run_id  # not a copy's
    assert alert["To"] == "operators@test.invalid"
    assert alert["Subject"] == "[DPS exchange] send_to_dps failed for FY2026-Q4"
    body = alert.get_content()
    assert f"(run {result.run_id})" in body and f"Run: http://127.0.0.1:3000/runs/{result.run_id}" in body
    assert "Step dps_submission: SftpError: sftp://" in body and str(missing) in body

    # The run's own log file ends with the same reason.
    [log] = (tmp_path / "logs" / "to_dps").iterdir()
    last = log.read_text().splitlines()[-1]
    assert "ERROR   dps_submission: failed: SftpError: " in last and str(missing) in last
