"""The history across quarters refreshed after each delivery: a sensor that watches the ledger
for a new delivery of any quarter's reports (a materialisation of `dps_report_delivery`, however
its run was launched: the SFTP sensor, the UI, a re-run, the CLI) and asks for one refresh of the
`quarterly_history` asset. Deliveries that land between two ticks make one refresh: it counts
every quarter not yet counted. Its first tick on an instance that has delivered before asks for a
refresh too, which fills the history with the quarters delivered before it existed."""

from typing import TYPE_CHECKING

from dagster import RunRequest, SensorDefinition, SensorEvaluationContext, SensorResult, SkipReason, sensor

from dps_assets.automation.sensors import sensor_status
from dps_assets.instance.ledger import newest_delivery_after

if TYPE_CHECKING:  # what define_asset_job returns; Dagster does not export its name
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

SENSOR_NAME = "quarterly_history_after_delivery"
INTERVAL_S = 60


def build_history_refresh_sensor(job: "UnresolvedAssetJobDefinition", running: bool) -> SensorDefinition:
    @sensor(
        name=SENSOR_NAME,
        job=job,
        minimum_interval_seconds=INTERVAL_S,
        default_status=sensor_status(running),
        description="Refreshes the history across quarters (its workbook and Power BI CSV) once a "
        "quarter's reports have been delivered.",
    )
    def quarterly_history_after_delivery(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        after = int(context.cursor) if context.cursor else None
        delivery = newest_delivery_after(context.instance, after)
        if delivery is None:
            return SkipReason("no quarter's reports delivered since the last refresh of the history"
                              if after is not None else "no quarter's reports have been delivered yet")
        return SensorResult(
            run_requests=[RunRequest(run_key=f"history_after_delivery_{delivery.storage_id}",
                                     tags={"dps/refreshed_after": delivery.quarter.label})],
            cursor=str(delivery.storage_id))

    return quarterly_history_after_delivery
