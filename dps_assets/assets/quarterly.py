"""What every asset and asset check of the exchange shares, written once: partitioned by fiscal
quarter, owned by the analytics team, its failures made safe and written to its half's run log
(`run_log.failures_logged`), and the quarter and run log a step starts with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dagster import AssetExecutionContext, asset, asset_check, multi_asset

from dps_assets.assets.common import OWNERS
from dps_assets.assets.partitions import closed_quarter, fiscal_quarter_partitions, quarter_of
from dps_assets.assets.run_log import RunLog, StepContext, failures_logged
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.resources.local_files import LocalFilesResource

Decorator = Callable[[Callable[..., Any]], Any]
QUARTER_TAG = "fiscal_quarter"


def quarterly_asset(*, half: str, group: str, **asset_args: Any) -> Decorator:
    """`@asset` for one fiscal quarter of `half` (to_dps / from_dps), in asset group `group`."""
    def decorate(step: Callable[..., Any]) -> Any:
        return asset(partitions_def=fiscal_quarter_partitions, group_name=group, owners=OWNERS,
                     **asset_args)(failures_logged(half)(step))
    return decorate


def quarterly_multi_asset(*, half: str, group: str, **asset_args: Any) -> Decorator:
    """`@multi_asset` for one fiscal quarter; its outs carry their own owners."""
    def decorate(step: Callable[..., Any]) -> Any:
        return multi_asset(partitions_def=fiscal_quarter_partitions, group_name=group,
                           **asset_args)(failures_logged(half)(step))
    return decorate


def quarterly_check(*, half: str, **check_args: Any) -> Decorator:
    """`@asset_check` for one fiscal quarter of `half`."""
    def decorate(step: Callable[..., Any]) -> Any:
        return asset_check(partitions_def=fiscal_quarter_partitions, **check_args)(failures_logged(half)(step))
    return decorate


def quarter_and_log(context: StepContext, local_files: LocalFilesResource,
                    half: str) -> tuple[FiscalQuarter, RunLog]:
    """The quarter this step works on, and its run's log file. The run is tagged with the
    quarter's label whatever launched it (UI, CLI, backfill, schedule, sensor), so run lists and
    alerts can be filtered by `fiscal_quarter=FY2026-Q4`."""
    if isinstance(context, AssetExecutionContext):
        quarter = quarter_of(context)  # a run over several quarters is refused here
    else:
        quarter = closed_quarter(context.partition_key)
    op = context.op_execution_context
    if op.run.tags.get(QUARTER_TAG) != quarter.label:
        op.instance.add_run_tags(op.run_id, {QUARTER_TAG: quarter.label})
    return quarter, RunLog(context, local_files, half, quarter)
