"""A run whose step waits for its standard input to close: a real run worker, held mid-step for
as long as a test needs, on the exchange's executor (which records the worker).

`python -m dps_assets_tests.support.worker_jobs` executes it on the instance of $DAGSTER_HOME."""

from __future__ import annotations

import sys

from dagster import DagsterInstance, execute_job, job, op, reconstructable

from dps_assets.instance.run_workers import recorded_in_process_executor


@op
def wait_for_stdin_to_close() -> None:
    sys.stdin.read()


@job(executor_def=recorded_in_process_executor)
def held_run():
    wait_for_stdin_to_close()


if __name__ == "__main__":
    with DagsterInstance.get() as instance:
        execute_job(reconstructable(held_run), instance)
