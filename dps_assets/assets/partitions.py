"""The fiscal-quarter partitions every asset of the exchange is partitioned by."""

from __future__ import annotations

from dagster import AssetExecutionContext, TimeWindowPartitionsDefinition

from dps_assets.core.errors import ExchangeError

from dps_assets.core.quarters import (
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


class OneQuarterAtATimeError(ExchangeError, ValueError):
    """A run asked for several quarters where the exchange handles one at a time."""


BACKFILL_TAG = "dagster/backfill"


def quarter_of(context: AssetExecutionContext) -> FiscalQuarter:
    """The quarter a step works on. A run over a range of quarters (an asset backfill of the
    sending half, whose backfill policy makes it one run) is refused here, before anything runs."""
    if context.has_partition_key_range:
        keys = context.partition_key_range
        if keys.start != keys.end:
            first, last = (FiscalQuarter.from_partition_key(k).label for k in (keys.start, keys.end))
            raise OneQuarterAtATimeError(
                f"this run asks for {first} .. {last}; the sending half runs one quarter at a time "
                "(DPS reads one file and answers one quarter at a time). Launch one quarter.")
    return FiscalQuarter.from_partition_key(context.partition_key)


def refuse_multi_quarter_backfill(context: AssetExecutionContext) -> None:
    """A backfill of the sending half over more than one quarter is refused: it would upload
    quarter after quarter, each overwriting the last before DPS answered."""
    backfill_id = context.run.tags.get(BACKFILL_TAG)
    backfill = context.instance.get_backfill(backfill_id) if backfill_id else None
    if backfill is None or not backfill.partition_names or len(backfill.partition_names) < 2:
        return
    raise OneQuarterAtATimeError(
        f"backfill {backfill_id} covers {len(backfill.partition_names)} quarters; the sending half "
        "runs one quarter at a time (DPS reads one file and answers one quarter at a time). "
        "Launch one quarter.")
