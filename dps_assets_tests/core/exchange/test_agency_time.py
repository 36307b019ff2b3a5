"""Dates and times as the agency's people read them: US style, Central time, CST or CDT."""

from datetime import UTC, date, datetime

from dps_assets.core.exchange.agency_time import us_day, us_epoch_time, us_time


def test_a_day_is_month_day_year_without_a_leading_zero():
    assert us_day(date(2025, 9, 1)) == "September 1, 2025"
    assert us_day(date(2026, 5, 31)) == "May 31, 2026"


def test_a_time_is_central_with_the_zone_in_force():
    assert us_time(datetime(2026, 12, 6, 15, 14, 59, tzinfo=UTC)) == "Dec 6, 2026 9:14 AM CST"
    assert us_time(datetime(2026, 7, 4, 5, 7, tzinfo=UTC)) == "Jul 4, 2026 12:07 AM CDT"
    assert us_time(datetime(2026, 7, 4, 17, 0, tzinfo=UTC)) == "Jul 4, 2026 12:00 PM CDT"
    assert us_epoch_time(datetime(2026, 11, 1, 6, 30, tzinfo=UTC).timestamp()) == "Nov 1, 2026 1:30 AM CDT"
    assert us_epoch_time(datetime(2026, 11, 1, 7, 30, tzinfo=UTC).timestamp()) == "Nov 1, 2026 1:30 AM CST"
