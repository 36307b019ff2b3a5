"""Asset check of the sending half: an export that is empty, or whose size moved more than the
configured share from the last submitted quarter, is not uploaded unless the run forces it."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, MetadataValue

from dps_assets.core.submissions import export_size_problem
from dps_assets.core.quarters import FiscalQuarter
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.local_files import TO_DPS, LocalFilesResource
from dps_assets.assets.run_log import RunLog
from dps_assets.instance.ledger import recorded_submissions
from dps_assets.assets.quarterly import quarterly_check


def forced_upload(context: AssetCheckExecutionContext) -> bool:
    """The one switch an operator sets to send anyway: dps_submission's `force`."""
    ops = (context.run.run_config or {}).get("ops", {})
    return bool(ops.get("dps_submission", {}).get("config", {}).get("force", False))


@quarterly_check(
    half=TO_DPS,
    asset="dps_export_files",
    blocking=True,
    description="The export is worth sending: not empty, and its row count within "
    "submission.max_row_count_change of the last submitted quarter. When it fails, nothing is "
    "uploaded; dps_submission's force: true sends anyway.",
)
def dps_export_size_plausible(context: AssetCheckExecutionContext, dps_export_files,
                              exchange_rules: ExchangeRulesResource,
                              local_files: LocalFilesResource) -> AssetCheckResult:
    quarter = FiscalQuarter.from_partition_key(context.partition_key)
    submissions = recorded_submissions(context.instance)
    problem = export_size_problem(dps_export_files.rows, quarter, submissions,
                                  exchange_rules.max_row_count_change)
    previous = [s for s in submissions if s.quarter != quarter]
    last = max(previous, key=lambda s: s.submitted_at) if previous else None
    metadata = {"rows": MetadataValue.int(int(dps_export_files.rows)),
                "last_submitted_rows": MetadataValue.int(int(last.rows) if last else 0),
                "max_row_count_change": MetadataValue.float(float(exchange_rules.max_row_count_change))}
    forced = forced_upload(context)
    if problem:
        RunLog(context, local_files, TO_DPS, quarter).warning(
            f"{problem}; {'sent anyway: the run forces it' if forced else 'not uploaded'}")
    return AssetCheckResult(
        passed=problem is None or forced,
        severity=AssetCheckSeverity.ERROR,
        description=(problem + (" (forced)" if forced else "; not uploaded, force: true sends it"))
        if problem else "row count within bounds",
        metadata=metadata,
    )
