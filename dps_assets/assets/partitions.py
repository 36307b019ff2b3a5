"""The fiscal-quarter partitions every asset of the exchange is partitioned by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dagster import AssetExecutionContext, DagsterInstance, DynamicPartitionsDefinition, RunsFilter

from dps_assets.core.exchange.quarters import FiscalQuarter, agency_today, quarters_before, quarters_missing
from dps_assets.core.privacy.errors import ExchangeError

# A partition per closed fiscal quarter from the agency's go-live (`first_quarter` in the
# configuration), keyed by its label (`FY2026-Q4`): the name analysts use is the name the UI
# lists, its picker and URLs accept and `dg launch --partition` takes. A time-window partitioning
# cannot key by that label (its keys are strftime of the window's start), so the keys are
# dynamic: the `fiscal_quarter_calendar` sensor adds each quarter once it has closed, and the
# submission schedule adds its quarter before it asks for a run. The UI lists dynamic keys in
# the order they were added, so the list runs oldest first and the newest quarter is last.
FISCAL_QUARTER = "fiscal_quarter"  # the partitions' name (the definition's `name` is optional)
fiscal_quarter_partitions = DynamicPartitionsDefinition(name=FISCAL_QUARTER)

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"  # a run over a range of quarters
RANGE_END_TAG = "dagster/asset_partition_range_end"


@dataclass(frozen=True)
class QuarterListChange:
    """What keeps the list to the quarters from go-live: the closed quarters it lacks, and the
    quarters before go-live nothing ever ran for (an instance set up before `first_quarter`
    existed lists every quarter from FY2020-Q1). Quarters before go-live with a run or a
    materialisation stay: their history stays reachable."""

    first: FiscalQuarter
    added: list[FiscalQuarter]
    removed: list[FiscalQuarter]

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.removed)


def quarter_list_change(instance: DagsterInstance, first: FiscalQuarter, today: date) -> QuarterListChange:
    listed = instance.get_dynamic_partitions(FISCAL_QUARTER)
    before = quarters_before(listed, first)
    with_history = quarters_with_history(instance, before) if before else set()
    return QuarterListChange(first, added=quarters_missing(listed, first, today),
                             removed=[q for q in before if q not in with_history])


def update_quarter_list(instance: DagsterInstance, first: FiscalQuarter, today: date) -> QuarterListChange:
    """Applies `quarter_list_change`, as the calendar sensor's tick does; idempotent."""
    change = quarter_list_change(instance, first, today)
    for quarter in change.removed:
        instance.delete_dynamic_partition(FISCAL_QUARTER, quarter.partition_key)
    if change.added:
        instance.add_dynamic_partitions(FISCAL_QUARTER, [q.partition_key for q in change.added])
    return change


def quarters_with_history(instance: DagsterInstance, quarters: list[FiscalQuarter]) -> set[FiscalQuarter]:
    """Those of `quarters` some run was launched for (alone, or in a range of quarters), or some
    asset has a materialisation of (a run since deleted, an event reported from outside a run)."""
    found: set[FiscalQuarter] = set()
    for quarter in quarters:
        if instance.get_runs_count(RunsFilter(tags={PARTITION_TAG: quarter.partition_key})):
            found.add(quarter)
        for record in instance.get_run_records(RunsFilter(tags={RANGE_START_TAG: quarter.partition_key})):
            last = FiscalQuarter.from_partition_key_or_none(record.dagster_run.tags.get(RANGE_END_TAG)) or quarter
            found.update(q for q in quarters if quarter <= q <= last)
    if len(found) < len(quarters):
        keys = {q.partition_key for q in quarters}
        for asset_key in instance.get_asset_keys():
            materialized = instance.get_materialized_partitions(asset_key) & keys
            found.update(FiscalQuarter.from_partition_key(key) for key in materialized)
    return found


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
