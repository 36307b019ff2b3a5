"""Writing Excel workbooks the way analysts expect them: data sheet first, a styled and frozen
header, a filter over the data only (totals rows set apart below it), readable widths, real Excel
dates (m/d/yyyy), counts with thousands separators, numbers kept apart from the next column's
text, pages that print one page wide with the header row on each, an About sheet that says
where the workbook came from (`about`), and a document title and subject that say what it is.

Written with XlsxWriter in constant-memory mode, row by row and a block of rows at a time, so
memory does not grow with the rows; values by `excel_values`' rules, a column at a time
(`columns`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from dps_assets.core.privacy.private_files import private_file, private_scratch
from dps_assets.core.workbooks.about import ABOUT_SHEET, About, about_value, created_item, write_about
from dps_assets.core.workbooks.chart import BarChartSpec, add_chart
from dps_assets.core.workbooks.excel_values import EXCEL_MAX_DATA_ROWS, RuleTally, cell_text
from dps_assets.core.workbooks.layout import SUBJECT, Formats, holds_personal_information, set_properties, set_up_pages
from dps_assets.core.workbooks.rows import write_rows

__all__ = ["About", "BarChartSpec", "Sheet", "created_item", "write_workbook"]

_MAX_WIDTH = 40
_NUMBER_ROOM = 2  # a number's or date's column is wider by its indent from the right edge
_WIDTH_SAMPLE_ROWS = 500  # the first half and the last: a report sorted by region ends in UNKNOWN
_CAPITAL_WIDTH = 1.25  # a capital letter is wider than a digit, Excel's unit of a column's width
_MAX_SHEET_NAME = 31  # Excel's limit


@dataclass(frozen=True)
class Sheet:
    name: str
    frame: pd.DataFrame
    chart: BarChartSpec | None = None
    # The frame's last rows that are totals (STATEWIDE): bold, below a blank row and a rule,
    # outside the filter. None: the rows a chart leaves out below its categories, else none.
    totals_rows: int | None = None
    # Columns of counts, written with thousands separators (1,993); other numbers (ids, codes) without.
    count_columns: Sequence[str] = ()

    @property
    def totals(self) -> int:
        if self.totals_rows is not None:
            return self.totals_rows
        return len(self.frame) - self.chart.category_rows if self.chart else 0


def write_workbook(path: Path, sheets: Sequence[Sheet], about: About,
                   max_data_rows: int = EXCEL_MAX_DATA_ROWS, title: str | None = None) -> None:
    """Write atomically (temporary file, then rename) with owner-only permissions; XlsxWriter's
    own temporary files go in a hidden folder beside it that is removed however the writing ends
    (`core.privacy.private_files`), and a full disk, whoever meets it, is a PrivateFileError
    naming the file and its folder. Values are written by `excel_values`' rules; a sheet with more
    than `max_data_rows` rows continues on `Name (2)`, `Name (3)`, … (each with the header); the
    About sheet says where a rule was applied and where a sheet continues. `title` (the document's,
    what the workbook is: never a child's data) defaults to the first sheet's name; the About's
    Partition, when it has one, follows it and the subject."""
    if max_data_rows < 1:
        raise ValueError("max_data_rows must be at least 1")
    with private_file(path) as handle, private_scratch(path) as scratch:
        target = _ZipTarget(handle)
        try:
            _write(target, scratch, sheets, about, max_data_rows, title or sheets[0].name)
        finally:
            target.cut()


def _write(target: _ZipTarget, scratch: Path, sheets: Sequence[Sheet], about: About, max_data_rows: int,
           title: str) -> None:
    workbook = Workbook(target, {"constant_memory": True, "tmpdir": str(scratch), "strings_to_numbers": False,
                                 "strings_to_formulas": False, "strings_to_urls": False})
    formats = Formats(workbook)
    tally, continued = RuleTally(), []
    for sheet in sheets:
        names = _write_parts(workbook, formats, sheet, max_data_rows, tally)
        if len(names) > 1:
            data_rows = len(sheet.frame) - sheet.totals
            continued.append((f"{sheet.name}: {data_rows:,} rows over {len(names)} sheets "
                              f"of at most {max_data_rows:,}", ", ".join(names)))
    # The About sheet's own text is cleaned first, so its notes count it too.
    items = [(cell_text(str(k), ABOUT_SHEET, tally), about_value(v, tally))
             for k, v in [*about.items, *continued]]
    items += tally.notes()
    write_about(workbook, formats, items, tally)
    partition = next((str(v) for k, v in about.items if k == "Partition"), None)
    set_properties(workbook, title=f"{title}, {partition}" if partition else title,
                   subject=f"{SUBJECT}, {partition}" if partition else SUBJECT,
                   personal=any(holds_personal_information(s.frame.columns) for s in sheets))
    workbook.close()


class _ZipTarget:
    """The workbook's file as XlsxWriter's zip writer sees it. Once cut (the block is over), what
    the zip writer still does goes nowhere: after a failure it finishes the archive when it is
    collected, and the full disk's second error, or the closed file's, would be printed by
    Python's finaliser into the step's logs."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle: BinaryIO | None = handle

    def cut(self) -> None:
        self._handle = None

    def write(self, data: bytes) -> int:
        return self._handle.write(data) if self._handle else len(data)

    def tell(self) -> int:
        return self._handle.tell() if self._handle else 0

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence) if self._handle else 0

    def flush(self) -> None:
        if self._handle:
            self._handle.flush()


def _write_parts(workbook: Workbook, formats: Formats, sheet: Sheet, max_data_rows: int,
                 tally: RuleTally) -> list[str]:
    frame, totals = sheet.frame, sheet.totals
    data = frame.iloc[:len(frame) - totals]
    # The last part also holds the blank row and the totals rows.
    room = max_data_rows - (totals + 1 if totals else 0)
    if room < 1:
        raise ValueError("max_data_rows leaves no room for the sheet's totals rows")
    starts = list(range(0, len(data), room)) or [0]
    names = []
    for part, start in enumerate(starts, start=1):
        suffix = "" if part == 1 else f" ({part})"
        name = sheet.name[: _MAX_SHEET_NAME - len(suffix)].rstrip() + suffix
        worksheet = workbook.add_worksheet(name)
        last = part == len(starts)
        body = data.iloc[start:start + room]
        end = _write_table(worksheet, formats, frame, body, sheet.name, tally, sheet.count_columns)
        worksheet.autofilter(0, 0, len(body), max(len(frame.columns), 1) - 1)
        if last and totals:
            end = write_rows(worksheet, formats, frame.iloc[len(frame) - totals:], end + 1, sheet.name,
                             tally, totals=True, count_columns=sheet.count_columns)
        if part == 1 and sheet.chart:
            add_chart(workbook, worksheet, list(frame.columns), sheet.chart, end - 1)
        set_up_pages(worksheet, personal=holds_personal_information(frame.columns),
                     one_page=part == 1 and sheet.chart is not None)
        names.append(name)
    return names


def _write_table(worksheet: Worksheet, formats: Formats, whole: pd.DataFrame, body: pd.DataFrame,
                 tally_as: str, tally: RuleTally, count_columns: Sequence[str]) -> int:
    """Header, widths, frozen header, and `body`'s rows; returns the next free row."""
    for index, column in enumerate(whole.columns):
        worksheet.set_column(index, index, _width(whole, column, counted=column in count_columns))
    worksheet.freeze_panes(1, 0)
    for index, column in enumerate(whole.columns):
        worksheet.write_string(0, index, cell_text(str(column), tally_as, tally), formats.header)
    return write_rows(worksheet, formats, body, 1, tally_as, tally, count_columns=count_columns)


def _is_date_column(series: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    sample = series.dropna().head(20)
    return len(sample) > 0 and all(isinstance(v, (date, datetime)) for v in sample)


def _has_times(series: pd.Series) -> bool:
    """Whether a date column's values (a sample) have a time of day: shown m/d/yyyy h:mm:ss AM/PM."""
    present = series.dropna()
    if pd.api.types.is_datetime64_any_dtype(present):
        return bool((present != present.dt.normalize()).any())
    return any(isinstance(v, datetime) and v.time() != time(0) for v in present)


def _shown_width(text: str) -> float:
    return len(text) + (_CAPITAL_WIDTH - 1) * sum(c.isupper() for c in text)


def _width(frame: pd.DataFrame, column: str, *, counted: bool) -> float:
    """The column's width in characters: its longest value in a sample (the whole column's dropna
    would cost its length) or its name, and some room."""
    whole, half = frame[column], _WIDTH_SAMPLE_ROWS // 2
    sample = whole if len(whole) <= _WIDTH_SAMPLE_ROWS else pd.concat([whole.head(half), whole.tail(half)])
    room = 0
    if _is_date_column(sample):
        longest = float(len("12/31/2000 12:59:59 PM" if _has_times(sample) else "12/31/2000"))
        room = _NUMBER_ROOM
    else:
        values = sample.dropna().tolist()
        if pd.api.types.is_numeric_dtype(sample) and not pd.api.types.is_bool_dtype(sample):
            room = _NUMBER_ROOM
        longest = max((_shown_width(f"{v:,}" if counted and isinstance(v, int) else str(v)) for v in values),
                      default=0)
    return min(max(longest + room, _shown_width(str(column))) + 3, _MAX_WIDTH)
