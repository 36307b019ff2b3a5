"""The SFTP sensor: DPS's answer arriving in TO_DFPS starts the receiving half for the right
quarter. Thin: it gathers a listing, the ledger and its cursor, and pure functions decide
(`core.exchange.answer_watch` what to hand over, `core.operations.alerts` when its own trouble is an alert).
The operators' other alerts are in `alert_sensors`."""

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from dagster import (
    DagsterInstance,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from dps_assets.assets.dps_fetch import FINGERPRINT_TAG, handover_tags
from dps_assets.assets.quarterly import QUARTER_TAG
from dps_assets.core.exchange.answer_watch import FileState, HandedOverRun, WatchCursor, decide
from dps_assets.core.operations.alerts import SensorHealth, after_tick
from dps_assets.core.privacy.errors import ExchangeError, failure_text
from dps_assets.instance.ledger import answers_fetched, recorded_submissions
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.mailer import Mailer
from dps_assets.resources.operator_alerts import OperatorAlertsResource
from dps_assets.resources.sftp import SftpResource

if TYPE_CHECKING:  # what define_asset_job returns; Dagster does not export its name
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition


def sensor_status(running: bool) -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if running else DefaultSensorStatus.STOPPED


def build_dps_files_sensor(job: "JobDefinition | UnresolvedAssetJobDefinition", poll_interval_s: int,
                           running: bool) -> SensorDefinition:
    @sensor(
        name="dps_files_sensor",
        job=job,
        minimum_interval_seconds=poll_interval_s,
        default_status=sensor_status(running),
        description="Starts the receiving half for the right quarter once both of DPS's files "
        "(results and counts) are in DPS's answer folder, unchanged across two polls, and newer "
        "than that quarter's submission. Each tick that starts nothing says why.",
    )
    def dps_files_sensor(context: SensorEvaluationContext, sftp: SftpResource,
                         exchange_rules: ExchangeRulesResource, mailer: Mailer,
                         operator_alerts: OperatorAlertsResource) -> SensorResult:
        wanted = (exchange_rules.results_file_name, exchange_rules.counts_file_name)
        watch = WatchCursor.from_json(context.cursor)
        health = SensorHealth.from_dict(json.loads(context.cursor or "{}").get("health"))
        try:
            with sftp.session() as session:
                # The two names DPS writes, looked up: a tick costs the same however many other
                # files DPS's folder holds.
                listing = [FileState(f.name, f.size, f.mtime) for f in session.files_named(sftp.to_dfps_folder, wanted)]
        except (ExchangeError, OSError) as exc:
            # A transient fault (DPS's server down, the network cut): skip with the reason, and
            # alert the operators once it has lasted `sensor_failures_before_alert` ticks.
            problem = failure_text(type(exc).__name__, str(exc))
            health = _after_tick(health, problem, mailer, operator_alerts)
            return SensorResult(skip_reason=SkipReason(f"DPS's folder could not be listed ({problem}); "
                                                       "trying again at the next tick"),
                                cursor=_cursor(watch, health))
        health = _after_tick(health, None, mailer, operator_alerts)
        decision = decide(listing, watch, wanted, recorded_submissions(context.instance),
                          answers_fetched(context.instance), _run_for(context.instance))
        if decision.handover is None:
            return SensorResult(skip_reason=SkipReason(decision.skip_reason), cursor=_cursor(decision.cursor, health))
        handover = decision.handover
        context.log.info(f"DPS files {handover.fingerprint} go to {handover.quarter.label}")
        return SensorResult(
            run_requests=[RunRequest(
                run_key=handover.run_key,
                partition_key=handover.quarter.partition_key,
                tags={"fiscal_quarter": handover.quarter.label,
                      **handover_tags(handover.files, handover.fingerprint)},
            )],
            cursor=_cursor(decision.cursor, health),
        )

    return dps_files_sensor


def _run_for(instance: DagsterInstance) -> Callable[[str], HandedOverRun | None]:
    """The latest run DPS's files of a fingerprint were handed to (the run's tag says which)."""
    def run_for(fingerprint: str) -> HandedOverRun | None:
        runs = instance.get_runs(RunsFilter(tags={FINGERPRINT_TAG: fingerprint}), limit=1)
        if not runs:
            return None
        return HandedOverRun(runs[0].run_id, runs[0].tags.get(QUARTER_TAG), runs[0].status.value)

    return run_for


def _after_tick(health: SensorHealth, problem: str | None, mailer: Mailer,
                operator_alerts: OperatorAlertsResource) -> SensorHealth:
    change = after_tick(health, problem, operator_alerts.sensor_failures_before_alert, "dps_files_sensor")
    if change.alert is not None:
        operator_alerts.send(change.alert, mailer)
    return change.health


def _cursor(watch: WatchCursor, health: SensorHealth) -> str:
    """The files seen and handed over, and the sensor's run of failed ticks."""
    return json.dumps({**json.loads(watch.to_json()), "health": health.to_dict()}, sort_keys=True)
