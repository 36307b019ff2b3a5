"""The calendar sensor keeps the partitions to the closed quarters, by their labels."""

from dagster import AddDynamicPartitionsRequest, build_sensor_context, instance_for_test

from dps_assets.assets.partitions import add_closed_quarters, agency_today, fiscal_quarter_partitions
from dps_assets.automation.quarter_calendar import build_quarter_calendar_sensor
from dps_assets.core.exchange.quarters import FiscalQuarter, closed_quarters
from dps_assets_tests.conftest import TODAY


def _evaluate(instance):
    sensor = build_quarter_calendar_sensor()
    return sensor.evaluate_tick(build_sensor_context(instance=instance))


def test_a_new_instance_gets_every_closed_quarter_by_its_label_in_order():
    with instance_for_test() as instance:
        tick = _evaluate(instance)
        [request] = tick.dynamic_partitions_requests
        assert isinstance(request, AddDynamicPartitionsRequest)
        assert request.partitions_def_name == fiscal_quarter_partitions.name
        latest = FiscalQuarter.latest_closed(agency_today())
        assert request.partition_keys[0] == "FY2020-Q1"
        assert request.partition_keys[-1] == latest.label
        assert request.partition_keys == [q.label for q in closed_quarters(agency_today())]
        assert latest.end < agency_today() <= latest.next().end  # closed ones only, none still open


def test_once_they_are_there_it_adds_nothing():
    with instance_for_test() as instance:
        added = add_closed_quarters(instance, agency_today())
        assert added and added == closed_quarters(agency_today())
        tick = _evaluate(instance)
        assert not tick.dynamic_partitions_requests and not tick.run_requests
        assert "FY" in tick.skip_message


def test_the_quarter_that_closed_since_is_added_at_the_end():
    with instance_for_test() as instance:
        add_closed_quarters(instance, TODAY)  # through FY2026-Q4
        later = closed_quarters(agency_today())[len(closed_quarters(TODAY)):]
        tick = _evaluate(instance)
        assert [k for r in tick.dynamic_partitions_requests for k in r.partition_keys] == [q.label for q in later]
        assert add_closed_quarters(instance, agency_today()) == later
        assert instance.get_dynamic_partitions(fiscal_quarter_partitions.name) == [
            q.label for q in closed_quarters(agency_today())]
