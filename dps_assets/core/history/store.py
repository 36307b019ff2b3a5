"""The history's table of quarters, and its file. Kept by quarter: a quarter's figures come as one
record, and merging a record replaces whatever the quarter had, so a quarter delivered again
(a re-run) replaces its figures and is never counted twice. A quarter whose reports are no longer
archived keeps the figures it was recorded with.

The file is JSON (`quarters`: one object per quarter, oldest first), counts only."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.history.figures import MEASURES, PERIODS, Figure
from dps_assets.core.privacy.errors import ExchangeError

# Bumped when what a figure means changes: records of an older format are counted again from
# their reports where these are still archived.
FORMAT = 1

# How a quarter's figures were found: from the delivery the instance recorded, or, for a quarter
# delivered before the instance knew of it, from the newest complete set of archived reports.
FROM_DELIVERY = "delivery"
FROM_ARCHIVE = "archive"


@dataclass(frozen=True)
class QuarterRecord:
    """A delivered quarter's figures and where they were counted from: `source`, the reports'
    archive folder (relative to the archive root), which names the run that wrote them."""

    quarter: FiscalQuarter
    source: str
    filled_from: str
    delivered_at: str | None  # ISO 8601, UTC; None when only the archive knows the quarter
    figures: tuple[Figure, ...]
    format: int = FORMAT


History = dict[FiscalQuarter, QuarterRecord]


class HistoryFileError(ExchangeError, ValueError):
    """The history's file is not one this pipeline wrote; says where and what is wrong."""


def merge(history: Mapping[FiscalQuarter, QuarterRecord], records: Iterable[QuarterRecord]) -> History:
    """`history` with each of `records` in place of its quarter's: one record per quarter, oldest
    first."""
    merged = dict(history)
    for record in records:
        merged[record.quarter] = record
    return dict(sorted(merged.items()))


def is_current(record: QuarterRecord | None, source: str) -> bool:
    """Whether `record` already holds the figures of the reports in `source`, counted as this
    version counts them (then they need not be read again)."""
    return record is not None and record.source == source and record.format == FORMAT


def history_json(history: Mapping[FiscalQuarter, QuarterRecord]) -> bytes:
    quarters = [{
        "fiscal_quarter": record.quarter.label,
        "source": record.source,
        "filled_from": record.filled_from,
        "delivered_at": record.delivered_at,
        "format": record.format,
        "figures": [list(figure) for figure in record.figures],
    } for _, record in sorted(history.items())]
    return (json.dumps({"format": FORMAT, "quarters": quarters}, indent=1) + "\n").encode("utf-8")


def parse_history(data: bytes, where: str) -> History:
    """The history in `data`, read from the file `where`; HistoryFileError names what is wrong
    (an entry's position and field, never a value)."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HistoryFileError(f"{where}: not JSON ({type(exc).__name__} at character {_position(exc)})") from None
    if not isinstance(document, dict) or not isinstance(document.get("quarters"), list):
        raise HistoryFileError(f"{where}: no list 'quarters' at the top level")
    history: History = {}
    for index, entry in enumerate(document["quarters"]):
        record = _record(entry, f"{where}: quarters[{index}]")
        if record.quarter in history:
            raise HistoryFileError(f"{where}: quarters[{index}]: {record.quarter.label} is listed twice")
        history[record.quarter] = record
    return dict(sorted(history.items()))


def _position(exc: ValueError) -> object:
    return getattr(exc, "pos", getattr(exc, "start", "?"))


def _record(entry: object, where: str) -> QuarterRecord:
    if not isinstance(entry, dict):
        raise HistoryFileError(f"{where}: not an object")
    for name, kinds in (("fiscal_quarter", str), ("source", str), ("filled_from", str), ("format", int),
                        ("figures", list), ("delivered_at", (str, type(None)))):
        if not isinstance(entry.get(name), kinds) or (name == "format" and isinstance(entry[name], bool)):
            raise HistoryFileError(f"{where}: field {name!r} is missing or of the wrong type")
    try:
        quarter = FiscalQuarter.from_partition_key(entry["fiscal_quarter"])
    except ValueError:
        raise HistoryFileError(f"{where}: field 'fiscal_quarter' is not a quarter like FY2026-Q3") from None
    figures = tuple(_figure(item, f"{where}.figures[{i}]") for i, item in enumerate(entry["figures"]))
    return QuarterRecord(quarter, entry["source"], entry["filled_from"], entry["delivered_at"], figures,
                         entry["format"])


def _figure(item: Any, where: str) -> Figure:
    if not (isinstance(item, list) and len(item) == 4 and all(isinstance(v, str) for v in item[:3])
            and isinstance(item[3], int) and not isinstance(item[3], bool)):
        raise HistoryFileError(f"{where}: not [measure, period, region, count]")
    figure = Figure(*item)
    if figure.measure not in MEASURES or figure.period not in PERIODS or figure.value < 0:
        raise HistoryFileError(f"{where}: unknown measure or period, or a negative count")
    return figure
