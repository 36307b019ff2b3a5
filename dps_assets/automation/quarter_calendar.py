"""The calendar of fiscal quarters: a sensor that adds each quarter to the partitions once it has
closed, so the UI's picker, the CLI and URLs know `FY2026-Q4` from the day after it ends."""

from dagster import DefaultSensorStatus, SensorDefinition, SensorEvaluationContext, SensorResult, SkipReason, sensor

from dps_assets.assets.partitions import agency_today, fiscal_quarter_partitions, quarters_not_yet_partitions
from dps_assets.core.exchange.quarters import FiscalQuarter

CALENDAR_INTERVAL_S = 15 * 60


def build_quarter_calendar_sensor() -> SensorDefinition:
    # Running by default whatever the configuration says of the other sensors: it touches
    # nothing outside the instance, and without it a new instance has no quarters to pick.
    @sensor(
        name="fiscal_quarter_calendar",
        minimum_interval_seconds=CALENDAR_INTERVAL_S,
        default_status=DefaultSensorStatus.RUNNING,
        description="Adds each fiscal quarter (FY2026-Q4, …) to the partitions once it has closed "
        "(midnight Central after its last day), from FY2020-Q1 on.",
    )
    def fiscal_quarter_calendar(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        today = agency_today()
        missing = quarters_not_yet_partitions(context.instance, today)
        if not missing:
            return SkipReason(f"every closed quarter through {FiscalQuarter.latest_closed(today).label} "
                              "is a partition")
        context.log.info(f"adding {len(missing)} quarter(s): {missing[0].label} .. {missing[-1].label}")
        return SensorResult(dynamic_partitions_requests=[
            fiscal_quarter_partitions.build_add_request([q.partition_key for q in missing])])

    return fiscal_quarter_calendar
