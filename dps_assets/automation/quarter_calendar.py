"""The calendar of fiscal quarters: a sensor that keeps the partitions to the quarters from the
agency's go-live (`first_quarter`) through the newest closed one, so the UI's picker, the CLI and
URLs know `FY2026-Q4` from the day after it ends. On an instance that listed quarters from before
go-live, it removes those nothing ran for and keeps those with history."""

from datetime import date, timedelta

from dagster import (
    AddDynamicPartitionsRequest,
    DefaultSensorStatus,
    DeleteDynamicPartitionsRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from dps_assets.assets.partitions import (
    FISCAL_QUARTER,
    QuarterListChange,
    agency_today,
    fiscal_quarter_partitions,
    quarter_list_change,
)
from dps_assets.core.exchange.quarters import FiscalQuarter

CALENDAR_INTERVAL_S = 15 * 60


def build_quarter_calendar_sensor(first_quarter: FiscalQuarter) -> SensorDefinition:
    # Running by default whatever the configuration says of the other sensors: it touches
    # nothing outside the instance, and without it a new instance has no quarters to pick.
    @sensor(
        name="fiscal_quarter_calendar",
        minimum_interval_seconds=CALENDAR_INTERVAL_S,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"Lists each fiscal quarter from {first_quarter.label} (the exchange's go-live) "
        "once it has closed (midnight Central after its last day), oldest first, so the newest "
        "quarter is last. Quarters before go-live are listed only if something ran for them.",
    )
    def fiscal_quarter_calendar(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        today = agency_today()
        change = quarter_list_change(context.instance, first_quarter, today)
        if not change.changes_anything:
            return SkipReason(nothing_to_change(change, today))
        context.log.info(change_summary(change))
        requests: list[AddDynamicPartitionsRequest | DeleteDynamicPartitionsRequest] = []
        if change.removed:
            requests.append(DeleteDynamicPartitionsRequest(FISCAL_QUARTER, [q.partition_key for q in change.removed]))
        if change.added:
            requests.append(fiscal_quarter_partitions.build_add_request([q.partition_key for q in change.added]))
        return SensorResult(dynamic_partitions_requests=requests)

    return fiscal_quarter_calendar


def nothing_to_change(change: QuarterListChange, today: date) -> str:
    newest = FiscalQuarter.latest_closed(today)
    if newest < change.first:
        listed_from = change.first.end + timedelta(days=1)
        return (f"no quarter has closed since go-live: {change.first.label}, the first, is listed "
                f"from {listed_from:%B} {listed_from.day}, {listed_from.year}")
    return (f"every closed quarter from {change.first.label} through {newest.label} is listed; "
            f"the newest, {newest.label}, is last")


def change_summary(change: QuarterListChange) -> str:
    parts = []
    if change.added:
        parts.append(f"adding {len(change.added)} quarter(s): {change.added[0].label} .. {change.added[-1].label}")
    if change.removed:
        parts.append(f"removing {len(change.removed)} quarter(s) before go-live ({change.first.label}) "
                     f"that nothing ran for: {', '.join(q.label for q in change.removed)}")
    return "; ".join(parts)
