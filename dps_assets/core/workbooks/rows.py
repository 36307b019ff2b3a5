"""Writing a frame's rows to a constant-memory worksheet: a block of rows at a time, each block's
columns converted once (`columns`), the cells written in row order with the
writer method their column's kind calls for."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from dps_assets.core.workbooks.columns import BOOLEAN, DATE, NUMBER, TEXT, ColumnCells, column_cells
from dps_assets.core.workbooks.excel_values import RuleTally, StyledValue
from dps_assets.core.workbooks.layout import Formats

BLOCK_ROWS = 8_192

Write = Callable[[int, int, object, "Format | None"], object]
Plan = tuple[Write, Sequence[object], "Format | None"]  # a column's writer, cells and format


def write_rows(worksheet: Worksheet, formats: Formats, frame: pd.DataFrame, first_row: int,
               tally_as: str, tally: RuleTally, *, totals: bool = False, wrap: bool = False) -> int:
    """Write `frame`'s rows from the 0-based row `first_row`; returns the next free row. Totals
    rows are bold, the first under a rule across every column; `wrap` wraps text."""
    row = first_row
    for start in range(0, len(frame), BLOCK_ROWS):
        block = frame.iloc[start:start + BLOCK_ROWS]
        plan: list[Plan] = []
        for column in block.columns:
            cells = column_cells(block[column], tally_as, tally)
            plan.append(_plan(worksheet, formats, cells, bold=totals, wrap=wrap))
        if totals:
            row = _write_totals(worksheet, formats, plan, len(block), row, rule_row=first_row)
            continue
        for index in range(len(block)):
            for column_index, (write, values, cell_format) in enumerate(plan):
                value = values[index]
                if value is not None:
                    write(row, column_index, value, cell_format)
            row += 1
    return row


def _write_totals(worksheet: Worksheet, formats: Formats, plan: list[Plan], count: int, row: int,
                  rule_row: int) -> int:
    for index in range(count):
        for column_index, (write, values, cell_format) in enumerate(plan):
            value = values[index]
            if row == rule_row:
                cell_format = _with_rule(formats, cell_format)
            if value is None:
                worksheet.write_blank(row, column_index, None, cell_format)
            else:
                write(row, column_index, value, cell_format)
        row += 1
    return row


def _with_rule(formats: Formats, cell_format: Format | None) -> Format:
    number_format = cell_format.num_format if cell_format is not None and cell_format.num_format else None
    return formats.body(number_format or None, bold=True, top_border=True)


def _plan(worksheet: Worksheet, formats: Formats, cells: ColumnCells, *, bold: bool,
          wrap: bool) -> Plan:
    plain = formats.body(wrap=wrap, bold=bold) if (bold or wrap) else None
    if cells.kind == TEXT:
        return worksheet.write_string, cells.values, plain
    if cells.kind == NUMBER:
        return worksheet.write_number, cells.values, plain
    if cells.kind == BOOLEAN:
        return worksheet.write_boolean, cells.values, plain
    if cells.kind == DATE:
        return worksheet.write_number, cells.values, formats.body(cells.number_format, wrap=wrap, bold=bold)
    return _mixed_writer(worksheet, formats, bold=bold, wrap=wrap), cells.values, plain


def _mixed_writer(worksheet: Worksheet, formats: Formats, *, bold: bool, wrap: bool) -> Write:
    """Writes a value `excel_values.cell_value` returned by its type."""

    def write(row: int, column: int, value: object, cell_format: Format | None) -> object:
        kind = type(value)
        if kind is str:
            return worksheet.write_string(row, column, value, cell_format)
        if kind is bool:
            return worksheet.write_boolean(row, column, value, cell_format)
        if kind is int or kind is float:
            return worksheet.write_number(row, column, value, cell_format)
        if isinstance(value, StyledValue):
            if value.as_text:
                return worksheet.write_string(row, column, value.value, cell_format)
            styled = formats.body(value.number_format, wrap=wrap, bold=bold,
                                  top_border=cell_format is not None and bool(cell_format.top))
            if type(value.value) is float:
                return worksheet.write_number(row, column, value.value, styled)
            return worksheet.write_datetime(row, column, value.value, styled)
        return worksheet.write_string(row, column, str(value), cell_format)

    return write
