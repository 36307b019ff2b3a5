"""A workbook's About sheet: where it came from, one item a row (ITEM, VALUE). Every value sits at
its cell's left, text, dates (m/d/yyyy) and counts (thousands separated) alike, so the column
reads as one; long text wraps, and each row is given the height its wrapped lines need (a
spreadsheet program that does not fit rows to wrapped text would print the next row over it).
When it was made is said in Central time, the agency's own (`created_item`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
from xlsxwriter.workbook import Workbook

from dps_assets.core.workbooks.excel_values import RuleTally, cell_text
from dps_assets.core.workbooks.layout import Formats, set_up_pages
from dps_assets.core.workbooks.rows import write_rows

AGENCY_TIME_ZONE = ZoneInfo("America/Chicago")
CREATED = "Created (Central time)"
ABOUT_SHEET = "About"
ABOUT_COLUMNS = ("ITEM", "VALUE")
ABOUT_WIDTHS = (48, 100)  # in characters, as Excel counts a column's width
LINE_HEIGHT_PT = 15  # one line of Calibri 11, Excel's default row height
# A line of text is wider than as many zeros (Excel's width unit) when it has capitals in it:
# a wrapped cell is given room for this many times its characters.
_TEXT_WIDTH_FACTOR = 1.2


@dataclass(frozen=True)
class About:
    """Key/value provenance lines for the About sheet."""

    items: Sequence[tuple[str, object]] = field(default_factory=tuple)


def created_item(moment: datetime) -> tuple[str, datetime]:
    """The About line saying when the workbook was made: `moment` (time-zone aware) in Central
    time, to the second, shown as m/d/yyyy h:mm:ss AM/PM."""
    if moment.tzinfo is None:
        raise ValueError("created_item needs a time-zone aware moment")
    return CREATED, moment.astimezone(AGENCY_TIME_ZONE).replace(tzinfo=None, microsecond=0)


def about_value(value: object, tally: RuleTally) -> object:
    """An About value as its cell holds it: a list joined by commas, a mapping as key=value pairs,
    text by the rules of `excel_values`."""
    if isinstance(value, (list, tuple)):
        value = ", ".join(map(str, value))
    elif isinstance(value, dict):
        value = "; ".join(f"{k}={v}" for k, v in value.items())
    return cell_text(value, ABOUT_SHEET, tally) if isinstance(value, str) else value


def wrapped_lines(value: object, width: float) -> int:
    """How many lines `value` takes in a wrapped cell `width` characters wide (generously)."""
    text = _shown(value)
    per_line = max(width - 1, 1)  # the cell's own padding
    return sum(max(1, math.ceil(len(part) * _TEXT_WIDTH_FACTOR / per_line)) for part in text.split("\n"))


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return "12/31/2099 12:59:59 PM"  # DATETIME_FORMAT at its longest
    if isinstance(value, date):
        return "12/31/2099"
    return str(value)


def write_about(workbook: Workbook, formats: Formats, items: Sequence[tuple[str, object]],
                tally: RuleTally) -> None:
    """The About sheet of `items` (already cleaned): no filter, both columns wrapped, each row
    as tall as its longer cell, every value left-aligned, counts with thousands separators."""
    worksheet = workbook.add_worksheet(ABOUT_SHEET)
    for index, width in enumerate(ABOUT_WIDTHS):
        worksheet.set_column(index, index, width, formats.body(wrap=True))
    worksheet.freeze_panes(1, 0)
    for index, name in enumerate(ABOUT_COLUMNS):
        worksheet.write_string(0, index, name, formats.header)
    for row, item in enumerate(items, start=1):  # before the rows are written: constant memory
        lines = max(wrapped_lines(cell, width) for cell, width in zip(item, ABOUT_WIDTHS, strict=True))
        worksheet.set_row(row, LINE_HEIGHT_PT * lines)
    frame = pd.DataFrame(list(items), columns=list(ABOUT_COLUMNS), dtype="object")
    write_rows(worksheet, formats, frame, 1, ABOUT_SHEET, tally, wrap=True, count_columns=("VALUE",),
               numbers_left=True)
    set_up_pages(worksheet, personal=False)

