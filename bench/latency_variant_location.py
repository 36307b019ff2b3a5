"""A variant of the code location for bench_answer_latency.py --sensor-interval-less-one: the SFTP
sensor's minimum interval one second below sensor.poll_interval_s. Dagster's sensor daemon wakes
every 5 s and starts a sensor only once its interval has passed since its last tick began, so a
5 s sensor ticks every 10 s; 4 s makes it tick every 5 s. Only the bench loads this module."""

import os

import dps_assets.definitions as definitions
from dps_assets.automation.sensors import build_dps_files_sensor
from dps_assets.config.schema import load_config


def _one_second_less(job, poll_interval_s: int, running: bool):
    return build_dps_files_sensor(job, poll_interval_s - 1, running)


definitions.build_dps_files_sensor = _one_second_less
os.umask(0o077)
defs = definitions.build_definitions(load_config())
