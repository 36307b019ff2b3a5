"""The quarterly schedule: it fires some days after each quarter closes and asks for the quarter
that just closed, a partition that exists at that moment."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dagster import DagsterInstance, Definitions, build_schedule_context, instance_for_test, load_assets_from_modules
from dagster._utils.schedules import cron_string_iterator  # the daemon's own tick arithmetic

from dps_assets.assets import sending
from dps_assets.assets.partitions import fiscal_quarter_partitions
from dps_assets.automation.jobs import send_to_dps_job
from dps_assets.automation.schedules import build_submission_schedule
from dps_assets.config.schema import load_config
from dps_assets.core.exchange.quarters import AGENCY_TIMEZONE, FiscalQuarter
from dps_assets.resources import build_resources

CENTRAL = ZoneInfo(AGENCY_TIMEZONE)
DEMO_CONFIG = Path(__file__).resolve().parents[2] / "dps_config.demo.yml"
GO_LIVE = FiscalQuarter(2024, 1)


@pytest.fixture
def instance() -> DagsterInstance:
    with instance_for_test() as instance:
        yield instance


@pytest.mark.parametrize("days, hour", [(5, 6), (1, 0), (28, 23)])
def test_it_fires_the_configured_days_after_each_quarter_closes(days, hour):
    schedule = build_submission_schedule(send_to_dps_job, GO_LIVE, days, hour, running=True)
    assert schedule.execution_timezone == AGENCY_TIMEZONE
    # Quarters close on the last day of February, May, August and November.
    start = datetime(2025, 1, 1, tzinfo=CENTRAL)
    fires = []
    for tick in cron_string_iterator(start.timestamp(), schedule.cron_schedule, schedule.execution_timezone):
        if len(fires) == 5:
            break
        fires.append(tick)
    closes = [datetime(2025, 2, 28), datetime(2025, 5, 31), datetime(2025, 8, 31), datetime(2025, 11, 30),
              datetime(2026, 2, 28)]
    assert [(f.date(), f.hour) for f in fires] == [((c + timedelta(days=days)).date(), hour) for c in closes]


@pytest.mark.parametrize(
    "fires_at, label",
    [
        (datetime(2026, 12, 5, 6), "FY2027-Q1"),  # Sep-Nov 2026, a new fiscal year
        (datetime(2027, 3, 5, 6), "FY2027-Q2"),   # Dec-Feb, across the calendar year
        (datetime(2024, 3, 5, 6), "FY2024-Q2"),   # a leap February, the second quarter from go-live
        (datetime(2026, 9, 5, 6), "FY2026-Q4"),
    ],
)
def test_each_tick_asks_for_the_quarter_that_just_closed(instance, fires_at, label):
    schedule = build_submission_schedule(send_to_dps_job, GO_LIVE, 5, 6, running=True)
    definitions = Definitions(assets=load_assets_from_modules([sending]), jobs=[send_to_dps_job],
                              schedules=[schedule], resources=build_resources(load_config(DEMO_CONFIG)))
    context = build_schedule_context(instance=instance, scheduled_execution_time=fires_at.replace(tzinfo=CENTRAL),
                                     repository_def=definitions.get_repository_def())
    assert instance.get_dynamic_partitions(fiscal_quarter_partitions.name) == []  # a new instance
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == label  # the quarter's label is its partition key
    assert request.tags["fiscal_quarter"] == label
    assert request.run_key == f"submission-{label}"  # one submission per quarter per schedule
    # The schedule made the quarters closed by then partitions (in case the calendar sensor had
    # not yet), and the one it asks for is the newest.
    assert instance.get_dynamic_partitions(fiscal_quarter_partitions.name)[-1] == label
    assert instance.get_dynamic_partitions(fiscal_quarter_partitions.name)[0] == GO_LIVE.label


def test_before_go_live_a_tick_asks_for_nothing(instance):
    schedule = build_submission_schedule(send_to_dps_job, FiscalQuarter(2027, 2), 5, 6, running=True)
    context = build_schedule_context(instance=instance,
                                     scheduled_execution_time=datetime(2026, 12, 5, 6, tzinfo=CENTRAL))
    tick = schedule.evaluate_tick(context)
    assert not tick.run_requests
    assert tick.skip_message == "FY2027-Q1 is before the exchange's first quarter, FY2027-Q2"
    assert instance.get_dynamic_partitions(fiscal_quarter_partitions.name) == []
