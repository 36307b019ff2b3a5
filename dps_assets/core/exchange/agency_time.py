"""Dates and times as the agency's people read them: US style, in Central time (the agency's,
`quarters.AGENCY_TIMEZONE`), in English whatever the process's locale. Emails, run tags and
messages people read use these; files and machines keep ISO 8601 and seconds since the epoch."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from dps_assets.core.exchange.quarters import AGENCY_TIMEZONE

AGENCY_ZONE = ZoneInfo(AGENCY_TIMEZONE)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def us_day(day: date) -> str:
    """`September 1, 2025`: month in words, no leading zero."""
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def agency_time(epoch: float) -> datetime:
    """Seconds since the epoch as the agency's wall-clock time (CST or CDT)."""
    return datetime.fromtimestamp(float(epoch), AGENCY_ZONE)


def us_time(moment: datetime) -> str:
    """`Dec 6, 2026 9:14 AM CST`: an aware time in Central time, to the minute, with its zone's
    abbreviation (CST or CDT, whichever was in force)."""
    local = moment.astimezone(AGENCY_ZONE)
    hour = local.hour % 12 or 12
    return (f"{_MONTHS[local.month - 1][:3]} {local.day}, {local.year} {hour}:{local.minute:02d} "
            f"{'AM' if local.hour < 12 else 'PM'} {local.tzname()}")


def us_epoch_time(epoch: float) -> str:
    """`us_time` of seconds since the epoch."""
    return us_time(agency_time(epoch))
