"""A job of the code location run in this process, or re-executed from its failure, on the
instance of $DAGSTER_HOME with the configuration of $DPS_CONFIG: what the UI's "Re-execute from
failure" does, from a test.

    python -m dps_assets_tests.support.job_runs run receive_from_dps FY2026-Q4
    python -m dps_assets_tests.support.job_runs from-failure <run id>

Prints the run's id and status on its last line."""

from __future__ import annotations

import sys

from dagster import DagsterInstance, ReexecutionOptions, execute_job
from dagster._core.definitions.reconstruct import ReconstructableRepository


def main(argv: list[str]) -> None:
    repository = ReconstructableRepository.for_module("dps_assets.definitions", "defs")
    with DagsterInstance.get() as instance:
        if argv[0] == "run":
            job, quarter = argv[1], argv[2]
            result = execute_job(repository.get_reconstructable_job(job), instance,
                                 tags={"dagster/partition": quarter}, raise_on_error=False)
        else:
            parent = instance.get_run_by_id(argv[1])
            # The UI's re-execution keeps the parent's tags, its partition among them.
            tags = {k: v for k, v in parent.tags.items() if k not in ("dagster/parent_run_id", "dagster/root_run_id")}
            result = execute_job(repository.get_reconstructable_job(parent.job_name), instance, tags=tags,
                                 reexecution_options=ReexecutionOptions.from_failure(parent.run_id, instance),
                                 raise_on_error=False)
        if not result.success:
            for event in result.all_events:
                if event.is_failure:
                    print(event.message, file=sys.stderr)
        print(result.run_id, "SUCCESS" if result.success else "FAILURE")


if __name__ == "__main__":
    main(sys.argv[1:])
