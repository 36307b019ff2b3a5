"""Writing a frame's rows to a constant-memory worksheet: a block of rows at a time, each block's
columns converted once (`columns`), the cells written in row order with the writer method and
format their column's kind calls for. Numbers and dates sit at their cell's right, a digit's
width in from its edge (`layout.NUMBER_PADDING`), unless `numbers_left` (the About sheet) puts
them at its left; a count column's numbers have thousands separators, any other whole number
(an id, a code) none."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Literal

import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from dps_assets.core.workbooks.columns import BOOLEAN, DATE, NUMBER, TEXT, ColumnCells, column_cells
from dps_assets.core.workbooks.excel_values import COUNT_FORMAT, GENERAL_FORMAT, INTEGER_FORMAT, RuleTally, StyledValue
from dps_assets.core.workbooks.layout import Formats, padded

BLOCK_ROWS = 8_192

Write = Callable[[int, int, object, "Format | None"], object]
Plan = tuple[Write, Sequence[object], "Format | None"]  # a column's writer, cells and format


class _Style:
    """The formats of one block's cells: bold (totals) or wrapped or neither, numbers padded on
    the right or set at the left; None where a cell needs no format of its own (plain text)."""

    def __init__(self, formats: Formats, *, bold: bool, wrap: bool, numbers_left: bool) -> None:
        self.formats, self.bold, self.wrap, self.numbers_left = formats, bold, wrap, numbers_left

    def __call__(self, number_format: str | None = None, *, numeric: bool = False,
                 top_border: bool = False) -> Format | None:
        """A number's or date's (`numeric`) format in `number_format`, or a text's."""
        align: Literal["left"] | None = None
        if numeric and self.numbers_left:
            align = "left"
        elif numeric:
            number_format = padded(number_format or GENERAL_FORMAT)
        if not (number_format or align or self.bold or self.wrap or top_border):
            return None
        return self.formats.body(number_format, wrap=self.wrap, bold=self.bold, top_border=top_border,
                                 align=align)


def write_rows(worksheet: Worksheet, formats: Formats, frame: pd.DataFrame, first_row: int,
               tally_as: str, tally: RuleTally, *, totals: bool = False, wrap: bool = False,
               count_columns: Collection[str] = (), numbers_left: bool = False) -> int:
    """Write `frame`'s rows from the 0-based row `first_row`; returns the next free row. Totals
    rows are bold, the first under a rule across every column; `wrap` wraps text; the numbers
    of `count_columns` are written with thousands separators."""
    style = _Style(formats, bold=totals, wrap=wrap, numbers_left=numbers_left)
    row = first_row
    for start in range(0, len(frame), BLOCK_ROWS):
        block = frame.iloc[start:start + BLOCK_ROWS]
        columns = [(column_cells(block[column], tally_as, tally), column in count_columns)
                   for column in block.columns]
        plan = [_plan(worksheet, style, cells, counted) for cells, counted in columns]
        if totals:
            ruled = [_plan(worksheet, style, cells, counted, top_border=True) for cells, counted in columns]
            row = _write_totals(worksheet, plan, ruled, len(block), row, rule_row=first_row)
            continue
        for index in range(len(block)):
            for column_index, (write, values, cell_format) in enumerate(plan):
                value = values[index]
                if value is not None:
                    write(row, column_index, value, cell_format)
            row += 1
    return row


def _write_totals(worksheet: Worksheet, plan: list[Plan], ruled: list[Plan], count: int, row: int,
                  rule_row: int) -> int:
    for index in range(count):
        for column_index, (write, values, cell_format) in enumerate(ruled if row == rule_row else plan):
            value = values[index]
            if value is None:
                worksheet.write_blank(row, column_index, None, cell_format)
            else:
                write(row, column_index, value, cell_format)
        row += 1
    return row


def _plan(worksheet: Worksheet, style: _Style, cells: ColumnCells, counted: bool, *,
          top_border: bool = False) -> Plan:
    if cells.kind == TEXT:
        return worksheet.write_string, cells.values, style(top_border=top_border)
    if cells.kind == NUMBER:
        return (worksheet.write_number, cells.values,
                style(COUNT_FORMAT if counted else cells.number_format, numeric=True, top_border=top_border))
    if cells.kind == BOOLEAN:
        return worksheet.write_boolean, cells.values, style(top_border=top_border)
    if cells.kind == DATE:
        return (worksheet.write_number, cells.values,
                style(cells.number_format, numeric=True, top_border=top_border))
    return (_mixed_writer(worksheet, style, counted, top_border=top_border), cells.values,
            style(top_border=top_border))


def _mixed_writer(worksheet: Worksheet, style: _Style, counted: bool, *, top_border: bool) -> Write:
    """Writes a value `excel_values.cell_value` returned by its type: text in the column's
    format, numbers and dates in their own."""
    whole = style(COUNT_FORMAT if counted else INTEGER_FORMAT, numeric=True, top_border=top_border)
    fraction = style(COUNT_FORMAT if counted else GENERAL_FORMAT, numeric=True, top_border=top_border)

    def write(row: int, column: int, value: object, cell_format: Format | None) -> object:
        kind = type(value)
        if kind is str:
            return worksheet.write_string(row, column, value, cell_format)
        if kind is bool:
            return worksheet.write_boolean(row, column, value, cell_format)
        if kind is int:
            return worksheet.write_number(row, column, value, whole)
        if kind is float:
            return worksheet.write_number(row, column, value, fraction)
        if isinstance(value, StyledValue):
            if value.as_text:
                return worksheet.write_string(row, column, value.value, cell_format)
            styled = style(value.number_format, numeric=True, top_border=top_border)
            if type(value.value) is float:
                return worksheet.write_number(row, column, value.value, styled)
            return worksheet.write_datetime(row, column, value.value, styled)
        return worksheet.write_string(row, column, str(value), cell_format)

    return write
