"""The quarterly schedule that starts the sending half some days after each quarter closes."""

from typing import TYPE_CHECKING

from dagster import (
    DefaultScheduleStatus,
    JobDefinition,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from dps_assets.assets.partitions import update_quarter_list
from dps_assets.core.exchange.quarters import AGENCY_TIMEZONE, FiscalQuarter

if TYPE_CHECKING:  # what define_asset_job returns; Dagster does not export its name
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition


def submission_cron(days_after_quarter_end: int, hour: int) -> str:
    """Quarters end on the last day of Feb, May, Aug and Nov: day N of the next month is N days on."""
    return f"0 {hour} {days_after_quarter_end} 3,6,9,12 *"


def build_submission_schedule(job: "JobDefinition | UnresolvedAssetJobDefinition", first_quarter: FiscalQuarter,
                              days_after_quarter_end: int, hour: int, running: bool) -> ScheduleDefinition:
    @schedule(
        name="quarterly_submission",
        cron_schedule=submission_cron(days_after_quarter_end, hour),
        execution_timezone=AGENCY_TIMEZONE,
        job=job,
        default_status=DefaultScheduleStatus.RUNNING if running else DefaultScheduleStatus.STOPPED,
        description=f"Sends the quarter that just closed to DPS, {days_after_quarter_end} day(s) "
        f"after it closes, at {hour % 12 or 12}:00 {'AM' if hour < 12 else 'PM'} Central time.",
    )
    def quarterly_submission(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
        today = context.scheduled_execution_time.date()
        quarter = FiscalQuarter.latest_closed(today)
        if quarter < first_quarter:
            return SkipReason(f"{quarter.label} is before the exchange's first quarter, {first_quarter.label}")
        # The quarter may have closed since the calendar sensor last looked (or that sensor was
        # stopped): the run needs its partition to exist.
        update_quarter_list(context.instance, first_quarter, today)
        return RunRequest(
            run_key=f"submission-{quarter.partition_key}",
            partition_key=quarter.partition_key,
            tags={"fiscal_quarter": quarter.label},
        )

    return quarterly_submission
