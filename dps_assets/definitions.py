"""The Dagster code location of the DFPS -> DPS missing-person exchange.

The configuration file is $DPS_CONFIG, or dps_config.yml beside the package."""

import os

from dagster import Definitions, load_assets_from_modules

from dps_assets.assets import sending
from dps_assets.config import load_config
from dps_assets.jobs import send_to_dps_job
from dps_assets.resources import build_resources
from dps_assets.schedules import build_submission_schedule

# Children's records pass through this process: whatever it writes is readable by its owner only.
os.umask(0o077)

config = load_config()

defs = Definitions(
    assets=load_assets_from_modules([sending]),
    jobs=[send_to_dps_job],
    schedules=[
        build_submission_schedule(
            send_to_dps_job, config.schedule.days_after_quarter_end, config.schedule.hour,
            running=config.sensor.default_running,
        )
    ],
    resources=build_resources(config),
)
