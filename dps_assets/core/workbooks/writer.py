"""Writing Excel workbooks the way analysts expect them: data sheet first, a styled and frozen
header, a filter over the data only (totals rows set apart below it), readable widths, real Excel
dates, pages that print one page wide with the header row on each, and an About sheet that says
where the workbook came from.

Written with XlsxWriter in constant-memory mode, row by row and a block of rows at a time, so
memory does not grow with the rows; values by `excel_values`' rules, a column at a time
(`columns`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from dps_assets.core.privacy.private_files import private_file, private_scratch
from dps_assets.core.workbooks.chart import BarChartSpec, add_chart
from dps_assets.core.workbooks.excel_values import EXCEL_MAX_DATA_ROWS, RuleTally, cell_text
from dps_assets.core.workbooks.layout import Formats, holds_personal_information, set_properties, set_up_pages
from dps_assets.core.workbooks.rows import write_rows

__all__ = ["About", "BarChartSpec", "Sheet", "write_workbook"]

SUBJECT = "DFPS-DPS missing-person exchange"
_MAX_WIDTH = 40
_WIDTH_SAMPLE_ROWS = 500
_MAX_SHEET_NAME = 31  # Excel's limit
_ABOUT_WIDTHS = (48, 100)


@dataclass(frozen=True)
class Sheet:
    name: str
    frame: pd.DataFrame
    chart: BarChartSpec | None = None
    # The frame's last rows that are totals (STATEWIDE): bold, below a blank row and a rule,
    # outside the filter. None: the rows a chart leaves out below its categories, else none.
    totals_rows: int | None = None

    @property
    def totals(self) -> int:
        if self.totals_rows is not None:
            return self.totals_rows
        return len(self.frame) - self.chart.category_rows if self.chart else 0


@dataclass(frozen=True)
class About:
    """Key/value provenance lines for the About sheet."""

    items: Sequence[tuple[str, object]] = field(default_factory=tuple)


def write_workbook(path: Path, sheets: Sequence[Sheet], about: About,
                   max_data_rows: int = EXCEL_MAX_DATA_ROWS, title: str | None = None) -> None:
    """Write atomically (temporary file, then rename) with owner-only permissions; XlsxWriter's
    own temporary files go in a hidden folder beside it that is removed however the writing ends
    (`core.privacy.private_files`), and a full disk, whoever meets it, is a PrivateFileError
    naming the file and its folder. Values are written by `excel_values`' rules; a sheet with more
    than `max_data_rows` rows continues on `Name (2)`, `Name (3)`, … (each with the header); the
    About sheet says where a rule was applied and where a sheet continues. `title` (document property)
    defaults to the file's stem."""
    if max_data_rows < 1:
        raise ValueError("max_data_rows must be at least 1")
    with private_file(path) as handle, private_scratch(path) as scratch:
        target = _ZipTarget(handle)
        try:
            _write(target, scratch, sheets, about, max_data_rows, title or path.stem)
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
    items = [(cell_text(str(k), "About", tally), _about_value(v, tally))
             for k, v in [*about.items, *continued]]
    items += tally.notes()
    _write_about(workbook, formats, pd.DataFrame(items, columns=["ITEM", "VALUE"], dtype="object"), tally)
    partition = next((str(v) for k, v in about.items if k == "Partition"), None)
    set_properties(workbook, title=title, subject=f"{SUBJECT}, {partition}" if partition else SUBJECT,
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
        end = _write_table(worksheet, formats, frame, body, sheet.name, tally)
        worksheet.autofilter(0, 0, len(body), max(len(frame.columns), 1) - 1)
        if last and totals:
            end = write_rows(worksheet, formats, frame.iloc[len(frame) - totals:], end + 1, sheet.name,
                             tally, totals=True)
        if part == 1 and sheet.chart:
            add_chart(workbook, worksheet, list(frame.columns), sheet.chart, end - 1)
        set_up_pages(worksheet, personal=holds_personal_information(frame.columns),
                     one_page=part == 1 and sheet.chart is not None)
        names.append(name)
    return names


def _write_table(worksheet: Worksheet, formats: Formats, whole: pd.DataFrame, body: pd.DataFrame,
                 tally_as: str, tally: RuleTally, widths: Sequence[float] | None = None,
                 wrap: bool = False) -> int:
    """Header, widths, frozen header, and `body`'s rows; returns the next free row."""
    for index, column in enumerate(whole.columns):
        width = widths[index] if widths else _width(whole, column)
        worksheet.set_column(index, index, width, formats.body(wrap=True) if wrap else None)
    worksheet.freeze_panes(1, 0)
    for index, column in enumerate(whole.columns):
        worksheet.write_string(0, index, cell_text(str(column), tally_as, tally), formats.header)
    return write_rows(worksheet, formats, body, 1, tally_as, tally, wrap=wrap)


def _write_about(workbook: Workbook, formats: Formats, frame: pd.DataFrame, tally: RuleTally) -> None:
    worksheet = workbook.add_worksheet("About")
    _write_table(worksheet, formats, frame, frame, "About", tally, widths=_ABOUT_WIDTHS, wrap=True)
    set_up_pages(worksheet, personal=False)


def _about_value(value: object, tally: RuleTally) -> object:
    if isinstance(value, (list, tuple)):
        value = ", ".join(map(str, value))
    elif isinstance(value, dict):
        value = "; ".join(f"{k}={v}" for k, v in value.items())
    return cell_text(value, "About", tally) if isinstance(value, str) else value


def _is_date_column(series: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    sample = series.dropna().head(20)
    return len(sample) > 0 and all(isinstance(v, (date, datetime)) for v in sample)


def _width(frame: pd.DataFrame, column: str) -> float:
    sample = frame[column].head(_WIDTH_SAMPLE_ROWS)
    if _is_date_column(sample):  # a sample: the whole column's dropna would cost its length
        longest = 10
    else:
        longest = max((len(str(v)) for v in sample.dropna().tolist()), default=0)
    return min(max(longest, len(str(column))) + 3, _MAX_WIDTH)
