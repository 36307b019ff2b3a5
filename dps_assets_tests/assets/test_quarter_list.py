"""The quarter list from go-live, on a real instance: an instance that listed every quarter from
FY2020-Q1 (before `first_quarter` existed) keeps the older quarters that have history (a run, a
run over a range of quarters, a failed run, a materialisation) and loses the others, once; the
quarters from go-live are added once they close, and keys that are no quarter's are left alone."""

from collections.abc import Iterator

import pytest
from dagster import AssetMaterialization, DagsterInstance, instance_for_test, materialize

from dps_assets.assets.partitions import (
    FISCAL_QUARTER,
    RANGE_END_TAG,
    RANGE_START_TAG,
    quarter_list_change,
    update_quarter_list,
)
from dps_assets.core.exchange.quarters import FiscalQuarter, closed_quarters
from dps_assets_tests.conftest import TODAY
from dps_assets_tests.support.quarterly_stand_ins import failing_step, quarterly_step

GO_LIVE = FiscalQuarter(2026, 1)
BEFORE_FIRST_QUARTER_EXISTED = closed_quarters(FiscalQuarter(2020, 1), TODAY)  # FY2020-Q1 .. FY2026-Q4
RAN = FiscalQuarter(2021, 2)
FAILED = FiscalQuarter(2021, 4)
RANGE = [FiscalQuarter(2022, 1), FiscalQuarter(2022, 2), FiscalQuarter(2022, 3)]
REPORTED = FiscalQuarter(2023, 4)  # a materialisation reported from outside any run
BY_HAND = ["2024-09-01", "test quarter"]  # a first day from before keys were labels; the dialog's "Add a partition"


@pytest.fixture
def listed_from_fy2020() -> Iterator[DagsterInstance]:
    """An instance as the calendar sensor left it before go-live was configured, with history for
    some of the older quarters."""
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(FISCAL_QUARTER, [q.partition_key for q in BEFORE_FIRST_QUARTER_EXISTED])
        instance.add_dynamic_partitions(FISCAL_QUARTER, BY_HAND)
        assert materialize([quarterly_step], partition_key=RAN.partition_key, instance=instance).success
        assert not materialize([failing_step], partition_key=FAILED.partition_key, instance=instance,
                               raise_on_error=False).success
        assert materialize([quarterly_step], instance=instance, tags={
            RANGE_START_TAG: RANGE[0].partition_key, RANGE_END_TAG: RANGE[-1].partition_key}).success
        instance.report_runless_asset_event(AssetMaterialization("quarterly_step", partition=REPORTED.partition_key))
        assert materialize([quarterly_step], partition_key=GO_LIVE.next().partition_key, instance=instance).success
        yield instance


def listed(instance: DagsterInstance) -> list[str]:
    return list(instance.get_dynamic_partitions(FISCAL_QUARTER))


def test_older_quarters_with_history_stay_and_the_others_go(listed_from_fy2020):
    instance = listed_from_fy2020
    kept = [RAN, FAILED, *RANGE, REPORTED]
    change = update_quarter_list(instance, GO_LIVE, TODAY)
    assert change.added == []
    assert change.removed == [q for q in BEFORE_FIRST_QUARTER_EXISTED if q < GO_LIVE and q not in kept]
    assert len(change.removed) == 24 - len(kept)
    # The order stays the order they were added: oldest first, the newest quarter last.
    assert listed(instance) == [q.label for q in kept] + [q.label for q in closed_quarters(GO_LIVE, TODAY)] + BY_HAND


def test_it_changes_nothing_the_second_time(listed_from_fy2020):
    instance = listed_from_fy2020
    update_quarter_list(instance, GO_LIVE, TODAY)
    before = listed(instance)
    again = quarter_list_change(instance, GO_LIVE, TODAY)
    assert not again.changes_anything
    assert update_quarter_list(instance, GO_LIVE, TODAY) == again
    assert listed(instance) == before


def test_quarters_from_go_live_are_never_removed_even_without_history(listed_from_fy2020):
    instance = listed_from_fy2020
    update_quarter_list(instance, GO_LIVE, TODAY)
    still_listed = {FiscalQuarter.from_partition_key_or_none(key) for key in listed(instance)}
    assert set(closed_quarters(GO_LIVE, TODAY)) <= still_listed


def test_a_new_instance_lists_the_quarters_from_go_live_and_the_next_one_once_it_closes():
    with instance_for_test() as instance:
        assert update_quarter_list(instance, GO_LIVE, TODAY).added == closed_quarters(GO_LIVE, TODAY)
        assert listed(instance) == ["FY2026-Q1", "FY2026-Q2", "FY2026-Q3", "FY2026-Q4"]
        assert update_quarter_list(instance, GO_LIVE, FiscalQuarter(2027, 1).end).added == []  # its last day
        day_after = update_quarter_list(instance, GO_LIVE, FiscalQuarter(2027, 2).start)
        assert day_after.added == [FiscalQuarter(2027, 1)] and listed(instance)[-1] == "FY2027-Q1"
