"""The Dagster code location of the DFPS -> DPS missing-person exchange.

`build_definitions(config)` assembles it from a validated configuration; the code location
(`defs`, loaded lazily by Dagster) builds it from $DPS_CONFIG, or dps_config.yml beside the
package. Importing this module reads no file and changes nothing in the process."""

import os

from dagster import Definitions, definitions, load_asset_checks_from_modules, load_assets_from_modules

from dps_assets.assets import history, receiving, receiving_checks, report_delivery, reports, sending, sending_checks
from dps_assets.automation.alert_sensors import build_overdue_sensor, build_run_failure_alert
from dps_assets.automation.history_refresh import build_history_refresh_sensor
from dps_assets.automation.jobs import receive_from_dps_job, refresh_history_job, send_to_dps_job
from dps_assets.automation.quarter_calendar import build_quarter_calendar_sensor
from dps_assets.automation.retention import build_retention_schedule, expire_old_records_job
from dps_assets.automation.schedules import build_submission_schedule
from dps_assets.automation.sensors import build_dps_files_sensor
from dps_assets.config.schema import ExchangeConfig, load_config
from dps_assets.instance.run_workers import recorded_in_process_executor
from dps_assets.resources import build_resources


def build_definitions(config: ExchangeConfig) -> Definitions:
    automation_on = config.sensor.default_running
    jobs = [send_to_dps_job, receive_from_dps_job, refresh_history_job]
    return Definitions(
        assets=reports.with_where_to_find(
            load_assets_from_modules([sending, receiving, reports, report_delivery, history]), config),
        asset_checks=load_asset_checks_from_modules([receiving_checks, sending_checks]),
        jobs=[*jobs, expire_old_records_job],
        schedules=[build_submission_schedule(send_to_dps_job, config.first_quarter,
                                             config.schedule.days_after_quarter_end, config.schedule.hour,
                                             running=automation_on),
                   build_retention_schedule(config.retention.archive_days, config.retention.log_days,
                                            running=automation_on)],
        sensors=[
            build_quarter_calendar_sensor(config.first_quarter),
            build_dps_files_sensor(receive_from_dps_job, config.sensor.poll_interval_s, automation_on),
            build_overdue_sensor(config.sensor.results_deadline_hours, config.sensor.poll_interval_s,
                                 automation_on),
            build_run_failure_alert(automation_on),
            build_history_refresh_sensor(refresh_history_job, automation_on),
        ],
        resources=build_resources(config),
        # One process per run, also for runs launched from the CLI or the asset graph: the steps
        # share it instead of each importing pandas and Dagster again. It records the process, so
        # that run monitoring fails a run whose worker died (instance.run_workers).
        executor=recorded_in_process_executor,
    )


@definitions
def defs() -> Definitions:
    # Children's records pass through the process that serves this location: whatever it writes
    # is readable by its owner only.
    os.umask(0o077)
    return build_definitions(load_config())
