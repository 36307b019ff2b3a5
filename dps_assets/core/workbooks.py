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

from dps_assets.core.private_files import private_file

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_MAX_WIDTH = 40
_WIDTH_SAMPLE_ROWS = 500


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


def write_workbook(path: Path, sheets: Sequence[Sheet], about: About) -> None:
    """Write atomically (temporary file, then rename) with owner-only permissions."""
    workbook = Workbook(write_only=not any(s.chart for s in sheets))
    if not workbook.write_only:
        workbook.remove(workbook.active)
    for sheet in sheets:
        _write_sheet(workbook, sheet)
    about_frame = pd.DataFrame(list(about.items), columns=["ITEM", "VALUE"])
    about_frame["VALUE"] = about_frame["VALUE"].map(_about_value)
    _write_sheet(workbook, Sheet("About", about_frame))
    with private_file(path) as handle:
        workbook.save(handle)


def _about_value(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def _write_sheet(workbook: Workbook, sheet: Sheet) -> None:
    frame = sheet.frame
    worksheet = workbook.create_sheet(sheet.name)
    date_columns = {c for c in frame.columns if _is_date_column(frame[c])}
    for index, column in enumerate(frame.columns, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = _width(frame, column)
    worksheet.freeze_panes = "A2"
    last_column = get_column_letter(max(len(frame.columns), 1))
    worksheet.auto_filter.ref = f"A1:{last_column}{len(frame) + 1}"

    bold = Font(bold=True)
    header = []
    for column in frame.columns:
        cell = WriteOnlyCell(worksheet, value=str(column)) if workbook.write_only else str(column)
        if workbook.write_only:
            cell.font = bold
        header.append(cell)
    worksheet.append(header)
    for row in _rows(frame, date_columns):
        worksheet.append(_styled(worksheet, workbook.write_only, row, frame.columns, date_columns))
    if not workbook.write_only:
        for cell in worksheet[1]:
            cell.font = bold
        for index, column in enumerate(frame.columns, start=1):
            if column in date_columns:
                for (cell,) in worksheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = DATE_FORMAT
        if sheet.chart:
            _add_chart(worksheet, frame, sheet.chart)


def _styled(worksheet, write_only: bool, row: list, columns, date_columns) -> list:
    if not write_only or not date_columns:
        return row
    styled = []
    for column, value in zip(columns, row):
        if column in date_columns and value is not None:
            cell = WriteOnlyCell(worksheet, value=value)
            cell.number_format = DATETIME_FORMAT if isinstance(value, datetime) and (
                value.hour or value.minute or value.second) else DATE_FORMAT
            styled.append(cell)
        else:
            styled.append(value)
    return styled


def _rows(frame: pd.DataFrame, date_columns: set) -> Iterable[list]:
    converted = {}
    for column in frame.columns:
        series = frame[column]
        if column in date_columns:
            values = pd.to_datetime(series)
            converted[column] = [None if pd.isna(v) else _excel_date(v) for v in values]
        else:
            converted[column] = [None if _is_missing(v) else _plain(v) for v in series.tolist()]
    return (list(row) for row in zip(*(converted[c] for c in frame.columns)))


def _excel_date(value: pd.Timestamp) -> date | datetime:
    moment = value.to_pydatetime()
    if moment.tzinfo is not None:
        moment = moment.replace(tzinfo=None)
    if moment.hour == moment.minute == moment.second == moment.microsecond == 0:
        return moment.date()
    return moment


def _plain(value: object) -> object:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


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
