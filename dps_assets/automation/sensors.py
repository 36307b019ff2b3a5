"""Sensors: DPS's answer arriving on the SFTP server, DPS's answer being late, a run failing.

Each is thin: it gathers what it needs (a listing, the ledger, its cursor) and lets a pure
function decide."""

import json
import time

from dagster import (
    DagsterEvent,
    DefaultSensorStatus,
    JobDefinition,
    RunFailureSensorContext,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from dps_assets.core.emails import alert_email
from dps_assets.core.answer_watch import FileState, WatchCursor, decide
from dps_assets.core.errors import chain_failure_text
from dps_assets.core.submissions import overdue, submission_id
from dps_assets.assets.dps_fetch import handover_tags
from dps_assets.core.quarters import FiscalQuarter
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.local_files import LocalFilesResource
from dps_assets.resources.mailer import Mailer
from dps_assets.resources.sftp import SftpResource
from dps_assets.assets.run_log import record_run_end
from dps_assets.automation.jobs import HALF_OF_JOB
from dps_assets.instance.ledger import answers_fetched, recorded_submissions


def _status(running: bool) -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if running else DefaultSensorStatus.STOPPED


def build_dps_files_sensor(job: JobDefinition, poll_interval_s: int, running: bool) -> SensorDefinition:
    @sensor(
        name="dps_files_sensor",
        job=job,
        minimum_interval_seconds=poll_interval_s,
        default_status=_status(running),
        description="Starts the receiving half for the right quarter once both DPS files are in "
        "TO_DFPS, unchanged across two polls, and newer than that quarter's submission.",
    )
    def dps_files_sensor(context: SensorEvaluationContext, sftp: SftpResource,
                         exchange_rules: ExchangeRulesResource) -> SensorResult:
        wanted = (exchange_rules.results_file_name, exchange_rules.counts_file_name)
        with sftp.session() as session:
            listing = [FileState(f.name, f.size, f.mtime) for f in session.list_files(sftp.to_dfps_folder)]
        decision = decide(listing, WatchCursor.from_json(context.cursor), wanted,
                          recorded_submissions(context.instance), answers_fetched(context.instance))
        if decision.handover is None:
            return SensorResult(skip_reason=SkipReason(decision.skip_reason), cursor=decision.cursor.to_json())
        handover = decision.handover
        context.log.info(f"DPS files {handover.fingerprint} go to {handover.quarter.label}")
        return SensorResult(
            run_requests=[RunRequest(
                run_key=handover.run_key,
                partition_key=handover.quarter.partition_key,
                tags={"fiscal_quarter": handover.quarter.label,
                      **handover_tags(handover.files, handover.fingerprint)},
            )],
            cursor=decision.cursor.to_json(),
        )

    return dps_files_sensor


def build_overdue_sensor(deadline_hours: float, poll_interval_s: int, running: bool) -> SensorDefinition:
    @sensor(
        name="dps_answer_overdue_sensor",
        minimum_interval_seconds=max(poll_interval_s, 60),
        default_status=_status(running),
        description=f"Emails the operators once when DPS has not answered a submission within "
        f"{deadline_hours:g} hour(s).",
    )
    def dps_answer_overdue_sensor(context: SensorEvaluationContext, mailer: Mailer) -> SensorResult:
        alerted = set(json.loads(context.cursor or "[]"))
        late = [s for s in overdue(recorded_submissions(context.instance), answers_fetched(context.instance),
                                   time.time(), deadline_hours) if submission_id(s) not in alerted]
        for submission in late:
            hours = (time.time() - submission.submitted_at) / 3600
            mailer.send(alert_email(
                f"no answer from DPS for {submission.quarter.label} after {hours:.1f} hours",
                mailer.sender, mailer.operators,
                [f"{submission.quarter.label} was uploaded {hours:.1f} hours ago "
                 f"({submission.rows} children, sha256 {submission.sha256}).",
                 f"DPS usually answers within about two hours; the deadline is {deadline_hours:g} hour(s).",
                 "Check the TO_DFPS folder and contact DPS if the files do not arrive."]))
            alerted.add(submission_id(submission))
        cursor = json.dumps(sorted(alerted)[-200:])
        if not late:
            return SensorResult(skip_reason=SkipReason("no submission is past the deadline"), cursor=cursor)
        return SensorResult(cursor=cursor)

    return dps_answer_overdue_sensor


def build_run_failure_alert(jobs: list[JobDefinition], running: bool) -> SensorDefinition:
    @run_failure_sensor(
        name="run_failure_alert",
        monitored_jobs=jobs,
        default_status=_status(running),
        minimum_interval_seconds=10,  # one query of the event log per tick
        description="Emails the operators when a run of the exchange fails; a run that failed "
        "with no failed step (its process was killed) also gets the reason in its log file.",
    )
    def run_failure_alert(context: RunFailureSensorContext, mailer: Mailer,
                          local_files: LocalFilesResource) -> None:
        run = context.dagster_run
        partition_key = run.tags.get("dagster/partition")
        quarter = FiscalQuarter.from_partition_key(partition_key).label if partition_key else "no quarter"
        why = [_step_failure_line(event) for event in context.get_step_failure_events()]
        if not why:  # no step failed: the run's process was killed, or Dagster stopped the run
            why = [record_run_end(context.instance, run, local_files, context.failure_event.message,
                                  HALF_OF_JOB.get(run.job_name))]
        lines = [f"Job {run.job_name} failed for {quarter}.", f"Run id: {run.run_id}", "", *why,
                 "", "Open the run in the Dagster UI for the full log."]
        mailer.send(alert_email(f"{run.job_name} failed for {quarter}", mailer.sender, mailer.operators, lines))

    return run_failure_alert


def _step_failure_line(event: DagsterEvent) -> str:
    error = event.event_specific_data.error if event.event_specific_data else None
    chain = []
    while error is not None:  # Dagster's wrapper first, then the step's error and causes
        # Dagster's message starts with the qualified class name (`dps_assets.….SftpError: …`).
        head, colon, rest = error.message.partition(": ")
        own = rest if colon and head.rsplit(".", 1)[-1] == error.cls_name else error.message
        chain.append((error.cls_name or "Error", own))
        error = error.cause
    return f"Step {event.step_key}: {chain_failure_text(chain)}"
