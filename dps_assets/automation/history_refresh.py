"""The history across quarters refreshed after each delivery: a sensor that watches the ledger
for a new delivery of any quarter's reports (a materialisation of `dps_report_delivery`, however
its run was launched: the SFTP sensor, the UI, a re-run, the CLI) and asks for one refresh of the
`quarterly_history` asset. Deliveries that land between two ticks make one refresh: it counts
every quarter not yet counted. A refresh whose run died or failed is asked for again, up to
`core.history.refresh_rule.MAX_ATTEMPTS` times (`history_refresh` decides; this only reads the
instance). Its first tick on an instance that has delivered before fills the history with the
quarters delivered before it existed."""

from typing import TYPE_CHECKING

from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from dps_assets.automation.sensors import sensor_status
from dps_assets.core.history.refresh_rule import RefreshAttempt, history_refresh
from dps_assets.instance.ledger import newest_delivery_after

if TYPE_CHECKING:  # what define_asset_job returns; Dagster does not export its name
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

SENSOR_NAME = "quarterly_history_after_delivery"
INTERVAL_S = 60
DELIVERY_TAG = "dps/refresh_for_delivery"  # the storage id of the delivery a refresh run was asked for


def counted_through(instance: DagsterInstance, job_name: str) -> int | None:
    """The newest delivery a successful refresh run was asked for."""
    done = instance.get_runs(RunsFilter(job_name=job_name, statuses=[DagsterRunStatus.SUCCESS]), limit=20)
    asked = [int(run.tags[DELIVERY_TAG]) for run in done if run.tags.get(DELIVERY_TAG, "").isdigit()]
    return max(asked, default=None)


def build_history_refresh_sensor(job: "UnresolvedAssetJobDefinition", running: bool) -> SensorDefinition:
    @sensor(
        name=SENSOR_NAME,
        job=job,
        minimum_interval_seconds=INTERVAL_S,
        default_status=sensor_status(running),
        description="Refreshes the history across quarters (its workbook and Power BI CSV) once a "
        "quarter's reports have been delivered, and again if that refresh did not finish.",
    )
    def quarterly_history_after_delivery(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        instance = context.instance
        delivery = newest_delivery_after(instance, None)
        attempts = [] if delivery is None else [
            RefreshAttempt(run.run_id, run.status.value) for run in reversed(instance.get_runs(
                RunsFilter(job_name=job.name, tags={DELIVERY_TAG: str(delivery.storage_id)})))]
        decision = history_refresh(delivery.storage_id if delivery else None,
                                   delivery.quarter.label if delivery else "",
                                   counted_through(instance, job.name), attempts)
        if decision.run_key is None or delivery is None:
            return SkipReason(decision.reason)
        return SensorResult(run_requests=[RunRequest(
            run_key=decision.run_key,
            tags={"dps/refreshed_after": delivery.quarter.label, DELIVERY_TAG: str(delivery.storage_id)})])

    return quarterly_history_after_delivery
