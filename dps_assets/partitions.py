"""The fiscal-quarter partitions every asset of the exchange is partitioned by."""

from __future__ import annotations

from dagster import AssetExecutionContext, TimeWindowPartitionsDefinition

from dps_assets.quarters import (
    AGENCY_TIMEZONE,
    FIRST_PARTITION_KEY,
    FISCAL_QUARTER_CRON,
    PARTITION_KEY_FORMAT,
    FiscalQuarter,
)

# The cron ticks on each quarter's first day, so every window between ticks is one fiscal
# quarter, keyed by its first day. The newest partition is the last quarter that has closed.
fiscal_quarter_partitions = TimeWindowPartitionsDefinition(
    cron_schedule=FISCAL_QUARTER_CRON,
    start=FIRST_PARTITION_KEY,
    fmt=PARTITION_KEY_FORMAT,
    timezone=AGENCY_TIMEZONE,
)


def quarter_of(context: AssetExecutionContext) -> FiscalQuarter:
    return FiscalQuarter.from_partition_key(context.partition_key)
