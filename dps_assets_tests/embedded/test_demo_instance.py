"""The instance `dagster dev` runs the demo on (embedded.dagster_dev's dagster.yaml): what it
sets for the time from DPS's answer to the email (bench/bench_answer_latency.py)."""

from pathlib import Path

from dagster import DagsterInstance

from dps_assets.embedded.dagster_dev import prepare_dagster_home


def test_the_demo_instance_drains_its_queue_every_second_and_ticks_sensors_in_threads(tmp_path: Path):
    home = prepare_dagster_home(tmp_path / "dagster_home")
    with DagsterInstance.from_config(str(home)) as instance:
        # The sensor's run waits at most a second in the queue (Dagster's default is 5 s).
        assert instance.run_coordinator.dequeue_interval_seconds == 1
        # The SFTP sensor's tick is not queued behind the alert and calendar sensors' ticks.
        settings = instance.get_sensor_settings()
        assert settings["use_threads"] is True and settings["num_workers"] >= 4
        # Still two runs at a time, one step at a time in each pool.
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 2
