"""Asset check of the sending half: an export that is empty, or whose size moved more than the
configured share from the same quarter's a year earlier, is not uploaded unless the run forces it.
Its verdict is the check's evaluation (the Checks tab, plotted across quarters); when it stops the
run, the step also fails with that sentence (`size_refused`), so the run's page says it first."""

from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, MetadataValue

from dps_assets.assets.quarterly import quarterly_check
from dps_assets.assets.run_log import RunLog
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.exchange.submissions import judge_export_size, size_refused
from dps_assets.instance.ledger import recorded_submissions
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.local_files import TO_DPS, LocalFilesResource


def forced_upload(context: AssetCheckExecutionContext) -> bool:
    """The one switch an operator sets to send anyway: dps_submission's `force`."""
    run_config: Mapping[str, Any] = context.run.run_config or {}
    ops = run_config.get("ops", {})
    return bool(ops.get("dps_submission", {}).get("config", {}).get("force", False))


@quarterly_check(
    half=TO_DPS,
    asset="dps_export_files",
    blocking=True,
    description="The export is worth sending: it has children, and their number has not moved "
    "further than the configured share (20 % unless set otherwise) from what was sent for the same "
    "quarter a year earlier, the only quarter whose window covers as many months. With nothing "
    "sent for that quarter, the number is not compared, and the check says so. When it fails, "
    "nothing is uploaded; launching the send again with force: true sends it anyway.",
)
def dps_export_size_plausible(context: AssetCheckExecutionContext, dps_export_files,
                              exchange_rules: ExchangeRulesResource,
                              local_files: LocalFilesResource) -> Iterator[AssetCheckResult]:
    quarter = FiscalQuarter.from_partition_key(context.partition_key)
    verdict = judge_export_size(dps_export_files.rows, quarter, recorded_submissions(context.instance),
                                exchange_rules.max_row_count_change)
    compared = verdict.compared_with
    metadata = {"rows": MetadataValue.int(int(dps_export_files.rows)),
                "compared_with": MetadataValue.text(compared.quarter.label if compared else "none"),
                "compared_with_rows": MetadataValue.int(int(compared.rows) if compared else 0),
                "max_row_count_change": MetadataValue.float(float(exchange_rules.max_row_count_change))}
    forced = forced_upload(context)
    problem = verdict.problem
    if problem:
        RunLog(context, local_files, TO_DPS, quarter).warning(
            f"{problem}; {'sent anyway: the run forces it' if forced else 'not uploaded'}")
    yield AssetCheckResult(
        passed=problem is None or forced,
        severity=AssetCheckSeverity.ERROR,
        description=(problem + (" (forced)" if forced else "; not uploaded, force: true sends it"))
        if problem else verdict.description,
        metadata=metadata,
    )
    if problem and not forced:
        raise size_refused(problem)
