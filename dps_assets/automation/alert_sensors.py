"""The operators' alerts: a run of the exchange failed (whatever launched it: UI, asset page,
sensor, schedule, CLI, backfill), or DPS has not answered in time. Each goes through every
channel of `OperatorAlertsResource` (alert file, webhook, email), links the run and says what to do."""

from __future__ import annotations

import json
import time

from dagster import (
    DagsterEvent,
    DagsterRun,
    RunFailureSensorContext,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from dps_assets.assets.run_log import record_run_end
from dps_assets.automation.jobs import HALF_OF_JOB, SENDING_ASSETS
from dps_assets.automation.sensors import sensor_status
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.exchange.submissions import overdue, submission_id
from dps_assets.core.operations.alerts import Alert, what_to_do
from dps_assets.core.privacy.errors import chain_failure_text
from dps_assets.instance.ledger import answers_fetched, recorded_submissions
from dps_assets.resources.local_files import FROM_DPS, TO_DPS, LocalFilesResource
from dps_assets.resources.mailer import Mailer
from dps_assets.resources.operator_alerts import OperatorAlertsResource


def half_of_run(run: DagsterRun) -> str:
    """Which half's log folder a run belongs to: its job's, or, for a run of the asset graph
    (an asset page, `dagster asset materialize`), the half of the assets it materialised."""
    if run.job_name in HALF_OF_JOB:
        return HALF_OF_JOB[run.job_name]
    selected = {key.to_user_string() for key in (run.asset_selection or ())}
    return TO_DPS if selected & SENDING_ASSETS else FROM_DPS


# Set on a run once its failure is alerted, to the run's own id: Dagster can record a killed run's
# failure twice (the code server saw its worker die of a signal; run monitoring found the worker
# gone): one alert. The value is the run's id because a re-execution copies its parent's tags.
ALERTED_TAG = "dps/alerted"


def build_run_failure_alert(running: bool) -> SensorDefinition:
    @run_failure_sensor(
        name="run_failure_alert",
        # Every run in the instance, which serves this exchange alone: runs launched from an asset
        # page (__ASSET_JOB) or from the CLI are not runs of the location's named jobs.
        monitor_all_code_locations=True,
        default_status=sensor_status(running),
        minimum_interval_seconds=10,  # one query of the event log per tick
        description="Alerts the operators (alert file, webhook, email) when any run of the exchange "
        "fails; a run that failed with no failed step (its process was killed) also gets the reason "
        "in its log file.",
    )
    def run_failure_alert(context: RunFailureSensorContext, mailer: Mailer, local_files: LocalFilesResource,
                          operator_alerts: OperatorAlertsResource) -> None:
        run = context.dagster_run
        latest = context.instance.get_run_by_id(run.run_id)
        if latest is not None and latest.tags.get(ALERTED_TAG) == run.run_id:
            return  # its failure was recorded again; the operators already have the alert
        known = FiscalQuarter.from_partition_key_or_none(run.tags.get("dagster/partition"))
        quarter = known.label if known else "no quarter"
        why = [_step_failure_line(event) for event in context.get_step_failure_events()]
        if not why:  # no step failed: the run's process was killed, or Dagster stopped the run
            why = [record_run_end(context.instance, run, local_files, context.failure_event.message,
                                  half_of_run(run))]
        operator_alerts.send(Alert(
            f"{run.job_name} failed for {quarter}",
            [f"Job {run.job_name} failed for {quarter} (run {run.run_id}).", "", *why],
            what_to_do(why), operator_alerts.run_link(run.run_id)), mailer)
        context.instance.add_run_tags(run.run_id, {ALERTED_TAG: run.run_id})

    return run_failure_alert


def _step_failure_line(event: DagsterEvent) -> str:
    error = event.step_failure_data.error  # a STEP_FAILURE event's
    chain = []
    while error is not None:  # Dagster's wrapper first, then the step's error and causes
        # Dagster's message starts with the qualified class name (`dps_assets.….SftpError: …`).
        head, colon, rest = error.message.partition(": ")
        own = rest if colon and head.rsplit(".", 1)[-1] == error.cls_name else error.message
        chain.append((error.cls_name or "Error", own))
        error = error.cause
    return f"Step {event.step_key}: {chain_failure_text(chain)}"


def build_overdue_sensor(deadline_hours: float, poll_interval_s: int, running: bool) -> SensorDefinition:
    @sensor(
        name="dps_answer_overdue_sensor",
        minimum_interval_seconds=max(poll_interval_s, 60),
        default_status=sensor_status(running),
        description=f"Alerts the operators once when DPS has not answered a submission within "
        f"{deadline_hours:g} hour(s).",
    )
    def dps_answer_overdue_sensor(context: SensorEvaluationContext, mailer: Mailer,
                                  operator_alerts: OperatorAlertsResource) -> SensorResult:
        alerted = set(json.loads(context.cursor or "[]"))
        late = [s for s in overdue(recorded_submissions(context.instance), answers_fetched(context.instance),
                                   time.time(), deadline_hours) if submission_id(s) not in alerted]
        for submission in late:
            hours = (time.time() - submission.submitted_at) / 3600
            operator_alerts.send(Alert(
                f"no answer from DPS for {submission.quarter.label} after {hours:.1f} hours",
                [f"{submission.quarter.label} was uploaded {hours:.1f} hours ago "
                 f"({submission.rows} children, sha256 {submission.sha256}).",
                 f"DPS usually answers within about two hours; the deadline is {deadline_hours:g} hour(s)."],
                "Check the TO_DFPS folder and contact DPS if the files do not arrive; the sensor picks "
                "them up whenever they do."), mailer)
            alerted.add(submission_id(submission))
        cursor = json.dumps(sorted(alerted)[-200:])
        if not late:
            return SensorResult(skip_reason=SkipReason("no submission is past the deadline"), cursor=cursor)
        return SensorResult(cursor=cursor)

    return dps_answer_overdue_sensor
