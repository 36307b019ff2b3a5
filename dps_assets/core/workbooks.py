"""Writing Excel workbooks the way analysts expect them: data sheet first, frozen header,
auto-filter, readable widths, real Excel dates, and an About sheet that says where it came from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dps_assets.core.excel_values import (EXCEL_MAX_DATA_ROWS, RuleTally, StyledValue, cell_text,
                                          cell_value)
from dps_assets.core.private_files import private_file

_MAX_WIDTH = 40
_WIDTH_SAMPLE_ROWS = 500
_MAX_SHEET_NAME = 31  # Excel's limit


@dataclass(frozen=True)
class BarChartSpec:
    """A clustered bar chart of the sheet's numeric columns by its first column."""

    title: str
    value_columns: Sequence[str]
    category_rows: int  # how many data rows (from the top) are categories


@dataclass(frozen=True)
class Sheet:
    name: str
    frame: pd.DataFrame
    chart: BarChartSpec | None = None


@dataclass(frozen=True)
class About:
    """Key/value provenance lines for the About sheet."""

    items: Sequence[tuple[str, object]] = field(default_factory=tuple)


def write_workbook(path: Path, sheets: Sequence[Sheet], about: About,
                   max_data_rows: int = EXCEL_MAX_DATA_ROWS) -> None:
    """Write atomically (temporary file, then rename) with owner-only permissions. Values are
    written by `core.excel_values`' rules; a sheet with more than `max_data_rows` rows continues
    on `Name (2)`, `Name (3)`, … (each with the header); the About sheet says where a rule was
    applied and where a sheet continues."""
    if max_data_rows < 1:
        raise ValueError("max_data_rows must be at least 1")
    workbook = Workbook(write_only=not any(s.chart for s in sheets))
    if not workbook.write_only:
        workbook.remove(workbook.active)
    tally, continued = RuleTally(), []
    for sheet in sheets:
        names = _write_parts(workbook, sheet, max_data_rows, tally)
        if len(names) > 1:
            continued.append((f"{sheet.name}: {len(sheet.frame):,} rows over {len(names)} sheets "
                              f"of at most {max_data_rows:,}", ", ".join(names)))
    # The About sheet's own text is cleaned first, so its notes count it too.
    items = [(cell_text(str(k), "About", tally), _about_value(v, tally)) for k, v in [*about.items, *continued]]
    items += tally.notes()
    about_frame = pd.DataFrame(items, columns=["ITEM", "VALUE"], dtype="object")
    _write_sheet(workbook, Sheet("About", about_frame), "About", tally)
    with private_file(path) as handle:
        workbook.save(handle)


def _write_parts(workbook: Workbook, sheet: Sheet, max_data_rows: int, tally: RuleTally) -> list[str]:
    frame, names = sheet.frame, []
    starts = range(0, len(frame), max_data_rows) if len(frame) else [0]
    for part, start in enumerate(starts, start=1):
        suffix = "" if part == 1 else f" ({part})"
        name = sheet.name[: _MAX_SHEET_NAME - len(suffix)].rstrip() + suffix
        chunk = Sheet(name, frame.iloc[start:start + max_data_rows], sheet.chart if part == 1 else None)
        _write_sheet(workbook, chunk, sheet.name, tally, widths_from=frame)
        names.append(name)
    return names


def _about_value(value: object, tally: RuleTally) -> object:
    if isinstance(value, (list, tuple)):
        value = ", ".join(map(str, value))
    elif isinstance(value, dict):
        value = "; ".join(f"{k}={v}" for k, v in value.items())
    return cell_text(value, "About", tally) if isinstance(value, str) else value


def _write_sheet(workbook: Workbook, sheet: Sheet, tally_as: str, tally: RuleTally,
                 widths_from: pd.DataFrame | None = None) -> None:
    frame = sheet.frame
    sample = frame if widths_from is None else widths_from
    worksheet = workbook.create_sheet(sheet.name)
    for index, column in enumerate(frame.columns, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = _width(sample, column)
    worksheet.freeze_panes = "A2"
    last_column = get_column_letter(max(len(frame.columns), 1))
    worksheet.auto_filter.ref = f"A1:{last_column}{len(frame) + 1}"

    bold = Font(bold=True)
    header = []
    for column in frame.columns:
        cell = WriteOnlyCell(worksheet, value=cell_text(str(column), tally_as, tally))
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    for row in _rows(frame, tally_as, tally):
        worksheet.append([_cell(worksheet, value) for value in row])
    if not workbook.write_only and sheet.chart:
        _add_chart(worksheet, frame, sheet.chart)


def _cell(worksheet, value: object) -> object:
    if not isinstance(value, StyledValue):
        return value
    cell = WriteOnlyCell(worksheet, value=value.value)
    if value.number_format:
        cell.number_format = value.number_format
    if value.as_text:
        cell.data_type = "s"  # not a formula, not an error value
    return cell


def _rows(frame: pd.DataFrame, sheet: str, tally: RuleTally) -> Iterable[list]:
    converted = [[cell_value(v, sheet, tally) for v in frame[column].tolist()] for column in frame.columns]
    return (list(row) for row in zip(*converted))


def _is_date_column(series: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    sample = series.dropna().head(20)
    return len(sample) > 0 and all(isinstance(v, (date, datetime)) for v in sample)


def _width(frame: pd.DataFrame, column: str) -> float:
    sample = frame[column].head(_WIDTH_SAMPLE_ROWS)
    if _is_date_column(frame[column]):
        longest = 10
    else:
        longest = max((len(str(v)) for v in sample.dropna().tolist()), default=0)
    return min(max(longest, len(str(column))) + 3, _MAX_WIDTH)


def _add_chart(worksheet, frame: pd.DataFrame, spec: BarChartSpec) -> None:
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = spec.title
    chart.y_axis.title = "Runaway events"
    chart.x_axis.title = str(frame.columns[0])
    first_value = list(frame.columns).index(spec.value_columns[0]) + 1
    last_value = list(frame.columns).index(spec.value_columns[-1]) + 1
    data = Reference(worksheet, min_col=first_value, max_col=last_value,
                     min_row=1, max_row=spec.category_rows + 1)
    categories = Reference(worksheet, min_col=1, min_row=2, max_row=spec.category_rows + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(categories)
    chart.width, chart.height = 24, 12
    worksheet.add_chart(chart, f"{get_column_letter(len(frame.columns) + 2)}2")
