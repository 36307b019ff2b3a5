"""The calendar sensor keeps the partitions to the closed quarters from go-live, by their labels,
and removes the older ones nothing ran for."""

from datetime import timedelta

from dagster import (
    AddDynamicPartitionsRequest,
    DeleteDynamicPartitionsRequest,
    build_sensor_context,
    instance_for_test,
    materialize,
)

from dps_assets.assets.partitions import agency_today, fiscal_quarter_partitions, update_quarter_list
from dps_assets.automation.quarter_calendar import build_quarter_calendar_sensor
from dps_assets.core.exchange.quarters import FiscalQuarter, closed_quarters
from dps_assets_tests.conftest import TODAY
from dps_assets_tests.support.quarterly_stand_ins import quarterly_step

GO_LIVE = FiscalQuarter(2026, 1)


def _evaluate(instance, first=GO_LIVE):
    sensor = build_quarter_calendar_sensor(first)
    return sensor.evaluate_tick(build_sensor_context(instance=instance))


def test_a_new_instance_gets_every_closed_quarter_from_go_live_by_its_label_in_order():
    with instance_for_test() as instance:
        tick = _evaluate(instance)
        [request] = tick.dynamic_partitions_requests
        assert isinstance(request, AddDynamicPartitionsRequest)
        assert request.partitions_def_name == fiscal_quarter_partitions.name
        latest = FiscalQuarter.latest_closed(agency_today())
        assert request.partition_keys[:4] == ["FY2026-Q1", "FY2026-Q2", "FY2026-Q3", "FY2026-Q4"]
        assert request.partition_keys[-1] == latest.label
        assert request.partition_keys == [q.label for q in closed_quarters(GO_LIVE, agency_today())]
        assert latest.end < agency_today() <= latest.next().end  # closed ones only, none still open


def test_once_they_are_there_it_adds_nothing_and_says_which_is_newest():
    with instance_for_test() as instance:
        added = update_quarter_list(instance, GO_LIVE, agency_today()).added
        assert added and added == closed_quarters(GO_LIVE, agency_today())
        tick = _evaluate(instance)
        assert not tick.dynamic_partitions_requests and not tick.run_requests
        newest = added[-1].label
        assert tick.skip_message == (f"every closed quarter from FY2026-Q1 through {newest} is listed; "
                                     f"the newest, {newest}, is last")


def test_the_quarter_that_closed_since_is_added_at_the_end():
    with instance_for_test() as instance:
        update_quarter_list(instance, GO_LIVE, TODAY)  # through FY2026-Q4
        later = closed_quarters(GO_LIVE, agency_today())[len(closed_quarters(GO_LIVE, TODAY)):]
        tick = _evaluate(instance)
        assert [k for r in tick.dynamic_partitions_requests for k in r.partition_keys] == [q.label for q in later]
        assert update_quarter_list(instance, GO_LIVE, agency_today()).added == later
        assert instance.get_dynamic_partitions(fiscal_quarter_partitions.name) == [
            q.label for q in closed_quarters(GO_LIVE, agency_today())]


def test_before_the_first_quarter_closes_the_list_stays_empty_and_the_tick_says_until_when():
    current = FiscalQuarter.containing(agency_today())
    with instance_for_test() as instance:
        tick = _evaluate(instance, first=current)
        assert not tick.dynamic_partitions_requests
        listed_from = current.end + timedelta(days=1)
        assert tick.skip_message == (f"no quarter has closed since go-live: {current.label}, the first, is "
                                     f"listed from {listed_from:%B} {listed_from.day}, {listed_from.year}")


def test_older_quarters_nothing_ran_for_are_removed_by_the_tick_and_those_with_a_run_stay():
    with instance_for_test() as instance:
        older = closed_quarters(FiscalQuarter(2020, 1), GO_LIVE.start)  # FY2020-Q1 .. FY2025-Q4
        instance.add_dynamic_partitions(fiscal_quarter_partitions.name, [q.label for q in older])
        assert materialize([quarterly_step], partition_key="FY2024-Q3", instance=instance).success
        tick = _evaluate(instance)
        removal, addition = tick.dynamic_partitions_requests
        assert isinstance(removal, DeleteDynamicPartitionsRequest)
        assert removal.partition_keys == [q.label for q in older if q.label != "FY2024-Q3"]
        assert addition.partition_keys == [q.label for q in closed_quarters(GO_LIVE, agency_today())]
