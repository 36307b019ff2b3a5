"""The Dagster code location of the DFPS -> DPS missing-person exchange.

The configuration file is $DPS_CONFIG, or dps_config.yml beside the package."""

import os
import warnings

from dagster import (BetaWarning, Definitions, PreviewWarning, in_process_executor,
                     load_asset_checks_from_modules, load_assets_from_modules)

# Two features this location relies on are marked beta/preview upstream; dagster and
# dagster-pandera are pinned together, so the warnings say nothing an operator can act on.
warnings.filterwarnings("ignore", category=BetaWarning,
                        message="Function `pandera_schema_to_dagster_type`")
warnings.filterwarnings("ignore", category=PreviewWarning,
                        message="Specifying a partitions_def on an AssetCheckSpec")
warnings.filterwarnings("ignore", category=BetaWarning, message="Parameter `backfill_policy`")

from dps_assets import checks, sending_checks  # noqa: E402
from dps_assets.assets import delivery, receiving, reports, sending  # noqa: E402
from dps_assets.config import load_config  # noqa: E402
from dps_assets.jobs import receive_from_dps_job, send_to_dps_job  # noqa: E402
from dps_assets.resources import build_resources  # noqa: E402
from dps_assets.schedules import build_submission_schedule  # noqa: E402
from dps_assets.sensors import build_dps_files_sensor, build_overdue_sensor, build_run_failure_alert  # noqa: E402

# Children's records pass through this process: whatever it writes is readable by its owner only.
os.umask(0o077)

config = load_config()
automation_on = config.sensor.default_running

defs = Definitions(
    assets=load_assets_from_modules([sending, receiving, reports, delivery]),
    asset_checks=load_asset_checks_from_modules([checks, sending_checks]),
    jobs=[send_to_dps_job, receive_from_dps_job],
    schedules=[build_submission_schedule(send_to_dps_job, config.schedule.days_after_quarter_end,
                                         config.schedule.hour, running=automation_on)],
    sensors=[
        build_dps_files_sensor(receive_from_dps_job, config.sensor.poll_interval_s, automation_on),
        build_overdue_sensor(config.sensor.results_deadline_hours, config.sensor.poll_interval_s, automation_on),
        build_run_failure_alert([send_to_dps_job, receive_from_dps_job], automation_on),
    ],
    resources=build_resources(config),
    # One process per run, also for runs launched from the CLI or the asset graph: the steps share
    # it instead of each importing pandas and Dagster again.
    executor=in_process_executor,
)
