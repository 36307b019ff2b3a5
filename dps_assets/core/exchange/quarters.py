"""Fiscal years, fiscal quarters and the partitions built on them.

This is the only module that knows how a partition key maps to a quarter and back; `partitions.py`
wraps it as Dagster partitions. It imports nothing from Dagster, so the business logic can use it.

Fiscal year Y runs 1 September Y-1 through 31 August Y. Q1 = Sep-Nov, Q2 = Dec-Feb,
Q3 = Mar-May, Q4 = Jun-Aug. A quarter's partition key is its label `FY2025-Q1`, the name analysts
file and talk in (the UI's picker, the CLI's `--partition` and the URL all take it); its file
tag is `FY2025_Q1`. The reporting window of a quarter is fiscal year to date:
from the fiscal year's first day through the quarter's last day, both inclusive.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

# Texas state agencies keep Central time; a quarter closes at midnight there.
AGENCY_TIMEZONE = "America/Chicago"

_LABEL = re.compile(r"^FY(\d{4})[-_]Q([1-4])$")
_PARTITION_KEY = re.compile(r"^FY(\d{4})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class FiscalQuarter:
    fiscal_year: int
    quarter: int

    def __post_init__(self) -> None:
        if self.quarter not in (1, 2, 3, 4):
            raise ValueError(f"quarter must be 1-4, got {self.quarter}")

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def containing(cls, day: date) -> FiscalQuarter:
        """The fiscal quarter a calendar day falls in."""
        fiscal_year = day.year + 1 if day.month >= 9 else day.year
        months_into_year = (day.month - 9) % 12
        return cls(fiscal_year, months_into_year // 3 + 1)

    @classmethod
    def from_partition_key(cls, key: str) -> FiscalQuarter:
        """Exactly the label (`FY2025-Q1`): a partition key has one spelling."""
        match = _PARTITION_KEY.match(key)
        if not match:
            raise ValueError(f"not a fiscal-quarter partition key: {key!r} (expected like FY2025-Q1)")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def from_partition_key_or_none(cls, key: str | None) -> FiscalQuarter | None:
        """None for a key that is not a quarter's: an instance that ran before partition keys
        were labels (they were first days, `2024-09-01`) keeps such records, and readers of the
        ledger pass over them."""
        try:
            return cls.from_partition_key(key) if key else None
        except ValueError:
            return None

    @classmethod
    def from_label(cls, label: str) -> FiscalQuarter:
        """Accepts the label `FY2025-Q1` and the file tag `FY2025_Q1`."""
        match = _LABEL.match(label.strip().upper())
        if not match:
            raise ValueError(f"not a fiscal-quarter label: {label!r} (expected like FY2025-Q1)")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def latest_closed(cls, today: date) -> FiscalQuarter:
        """The most recent quarter whose last day is before `today`."""
        return cls.containing(today).previous()

    # --- names --------------------------------------------------------------------------------
    @property
    def partition_key(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"FY{self.fiscal_year}-Q{self.quarter}"

    @property
    def tag(self) -> str:
        return f"FY{self.fiscal_year}_Q{self.quarter}"

    def __str__(self) -> str:
        return self.label

    # --- dates --------------------------------------------------------------------------------
    @property
    def fiscal_year_start(self) -> date:
        return date(self.fiscal_year - 1, 9, 1)

    @property
    def fiscal_year_end(self) -> date:
        return date(self.fiscal_year, 8, 31)

    @property
    def start(self) -> date:
        month_index = 9 + 3 * (self.quarter - 1)  # 9, 12, 15, 18 months after January Y-1
        year = self.fiscal_year - 1 + (month_index - 1) // 12
        return date(year, (month_index - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        last_month_first_day = _add_months(self.start, 2)
        last_day = calendar.monthrange(last_month_first_day.year, last_month_first_day.month)[1]
        return last_month_first_day.replace(day=last_day)

    @property
    def window_start(self) -> date:
        """First day of the reporting window: the fiscal year's first day."""
        return self.fiscal_year_start

    @property
    def window_end(self) -> date:
        """Last day of the reporting window: the quarter's last day."""
        return self.end

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def window_contains(self, day: date) -> bool:
        return self.window_start <= day <= self.window_end

    # --- neighbours ---------------------------------------------------------------------------
    def previous(self) -> FiscalQuarter:
        return FiscalQuarter.containing(self.start - timedelta(days=1))

    def next(self) -> FiscalQuarter:
        return FiscalQuarter.containing(self.end + timedelta(days=1))

    def a_year_earlier(self) -> FiscalQuarter:
        """The same quarter of the previous fiscal year: the one quarter whose reporting window
        covers as many months as this one's (windows are fiscal year to date, so Q1's is 3
        months and Q4's 12)."""
        return FiscalQuarter(self.fiscal_year - 1, self.quarter)

    def quarters_to_date(self) -> list[FiscalQuarter]:
        """Q1 through this quarter of the same fiscal year."""
        return [FiscalQuarter(self.fiscal_year, q) for q in range(1, self.quarter + 1)]


def agency_today() -> date:
    """Today in Central time, where a quarter closes at midnight."""
    return datetime.now(ZoneInfo(AGENCY_TIMEZONE)).date()


def closed_quarters(first: FiscalQuarter, today: date) -> list[FiscalQuarter]:
    """Every quarter from `first` (the agency's go-live) through the latest one closed before
    `today`, oldest first: the partitions there should be on `today`. Empty until `first` closes."""
    quarters, quarter, last = [], first, FiscalQuarter.latest_closed(today)
    while quarter <= last:
        quarters.append(quarter)
        quarter = quarter.next()
    return quarters


def quarters_missing(existing_keys: Iterable[str], first: FiscalQuarter, today: date) -> list[FiscalQuarter]:
    """The closed quarters since `first` that are not yet partitions, oldest first (so the UI,
    which lists partitions in the order they were added, lists quarters in order)."""
    existing = set(existing_keys)
    return [q for q in closed_quarters(first, today) if q.partition_key not in existing]


def quarters_before(existing_keys: Iterable[str], first: FiscalQuarter) -> list[FiscalQuarter]:
    """The listed quarters older than `first`, oldest first: an instance that ran before the
    first quarter was configured lists every quarter from FY2020-Q1. Keys that are not a
    quarter's label (added by hand, or first days from before keys were labels) are not
    quarters, and are not among them."""
    listed = (FiscalQuarter.from_partition_key_or_none(key) for key in existing_keys)
    return sorted(q for q in listed if q is not None and q < first)


def first_quarter_problem(first: FiscalQuarter, today: date) -> str | None:
    """Why `first` cannot be the quarter the exchange starts at on `today`, or None. The quarter
    under way is accepted (an agency sets up before its first quarter closes; the list stays
    empty until then); a later one is a typo or a calendar the exchange cannot know yet."""
    current = FiscalQuarter.containing(today)
    if first > current:
        return (f"is a quarter that has not begun (the current one is {current.label}); the first "
                "quarter is the one the exchange went live with: a closed quarter, or the current one")
    return None


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def quarter_label_of(day: date) -> str:
    """`FISCAL_QUARTER` of a report row: the label of the quarter `day` falls in."""
    return FiscalQuarter.containing(day).label
