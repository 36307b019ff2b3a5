"""A sheet's clustered column chart, placed below its table so that it prints on its own part
of the page: one series per value column over the category rows only (never a totals row), side
by side. What adds the value columns up (a year-to-date total) is not a series: on the same axis
its bars would dwarf the ones it adds up, and with one value column repeat them; the table has it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from dps_assets.core.workbooks.excel_values import COUNT_FORMAT
from dps_assets.core.workbooks.layout import FONT_NAME

CHART_WIDTH_PX = 760
CHART_HEIGHT_PX = 380


@dataclass(frozen=True)
class BarChartSpec:
    """A clustered column chart of the sheet's numeric columns by its first column."""

    title: str
    value_columns: Sequence[str]
    category_rows: int  # how many data rows (from the top) are categories
    value_axis_title: str = ""


def _font(size: int, bold: bool = False) -> dict[str, object]:
    return {"name": FONT_NAME, "size": size, "bold": bold}


def add_chart(workbook: Workbook, worksheet: Worksheet, columns: Sequence[str], spec: BarChartSpec,
              below_row: int) -> None:
    """Insert `spec`'s chart at column A, two rows below the 0-based row `below_row`."""
    chart = workbook.add_chart({"type": "column"})
    name, last = worksheet.get_name(), spec.category_rows
    for column in spec.value_columns:
        index = list(columns).index(column)
        chart.add_series({
            "name": [name, 0, index],
            "categories": [name, 1, 0, last, 0],
            "values": [name, 1, index, last, index],
        })
    chart.set_title({"name": spec.title, "name_font": _font(12, bold=True)})
    chart.set_x_axis({"name": str(columns[0]), "name_font": _font(10, bold=True), "num_font": _font(9)})
    chart.set_y_axis({"name": spec.value_axis_title, "name_font": _font(10, bold=True), "num_font": _font(9),
                      "num_format": COUNT_FORMAT,
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom", "font": _font(9)})
    chart.set_size({"width": CHART_WIDTH_PX, "height": CHART_HEIGHT_PX})
    worksheet.insert_chart(below_row + 2, 0, chart, {"object_position": 3})  # fixed size, not moved
