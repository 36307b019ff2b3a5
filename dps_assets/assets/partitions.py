"""The fiscal-quarter partitions every asset of the exchange is partitioned by."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from dagster import AssetExecutionContext, DagsterInstance, DynamicPartitionsDefinition

from dps_assets.core.exchange.quarters import AGENCY_TIMEZONE, FiscalQuarter, quarters_missing
from dps_assets.core.privacy.errors import ExchangeError

# A partition per closed fiscal quarter, keyed by its label (`FY2026-Q4`): the name analysts
# use is the name the UI lists, its picker and URLs accept and `dg launch --partition` takes.
# A time-window partitioning cannot key by that label (its keys are strftime of the window's
# start), so the keys are dynamic: the `fiscal_quarter_calendar` sensor adds each quarter once
# it has closed, and the submission schedule adds its quarter before it asks for a run.
FISCAL_QUARTER = "fiscal_quarter"  # the partitions' name (the definition's `name` is optional)
fiscal_quarter_partitions = DynamicPartitionsDefinition(name=FISCAL_QUARTER)


def agency_today() -> date:
    """Today in Central time, where a quarter closes at midnight."""
    return datetime.now(ZoneInfo(AGENCY_TIMEZONE)).date()


def quarters_not_yet_partitions(instance: DagsterInstance, today: date) -> list[FiscalQuarter]:
    """The closed quarters the instance does not list yet, oldest first."""
    return quarters_missing(instance.get_dynamic_partitions(FISCAL_QUARTER), today)


def add_closed_quarters(instance: DagsterInstance, today: date) -> list[FiscalQuarter]:
    """Adds every closed quarter that is not yet a partition; returns those it added."""
    missing = quarters_not_yet_partitions(instance, today)
    if missing:
        instance.add_dynamic_partitions(FISCAL_QUARTER, [q.partition_key for q in missing])
    return missing


class OneQuarterAtATimeError(ExchangeError, ValueError):
    """A run asked for several quarters where the exchange handles one at a time."""


BACKFILL_TAG = "dagster/backfill"


def quarter_of(context: AssetExecutionContext) -> FiscalQuarter:
    """The quarter a step works on. A run over a range of quarters (an asset backfill of the
    sending half, whose backfill policy makes it one run) is refused here, before anything runs."""
    if context.has_partition_key_range:
        keys = context.partition_key_range
        if keys.start != keys.end:
            raise OneQuarterAtATimeError(
                f"this run asks for {keys.start[:24]} .. {keys.end[:24]}; the sending half runs one quarter at a time "
                "(DPS reads one file and answers one quarter at a time). Launch one quarter.")
    return closed_quarter(context.partition_key)


class NotAClosedQuarterError(ExchangeError, ValueError):
    """A run's partition is not a closed quarter: one added by hand in the launch dialog ("Add a
    partition") with another name, or a quarter that has not ended."""


def closed_quarter(partition_key: str, today: date | None = None) -> FiscalQuarter:
    quarter = FiscalQuarter.from_partition_key_or_none(partition_key)
    if quarter is None:
        raise NotAClosedQuarterError(
            f"partition {partition_key[:24]!r} is not a fiscal quarter's name (like FY2026-Q4); "
            "quarters are added by the fiscal_quarter_calendar sensor. A partition added by hand "
            "can be deleted from the asset's Partitions page.")
    today = today or agency_today()
    if quarter.end >= today:
        raise NotAClosedQuarterError(
            f"{quarter.label} has not closed: it ends {quarter.end:%d %B %Y}, and its data is "
            "exchanged once it has.")
    return quarter


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
