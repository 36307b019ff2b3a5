"""The workbook writer never fails on a value: characters XML forbids, over-long text, dates
outside Excel's calendar, formula-like text and odd types are written by rule, the About sheet
says where, and a sheet over Excel's row limit continues on a new sheet."""

import inspect
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl.xml.constants
import pandas as pd
import pytest
from openpyxl import load_workbook

from dps_assets.core.export.workbook import build_export_workbook
from dps_assets.core.workbooks.excel_values import EXCEL_MAX_CELL_CHARS, EXCEL_MAX_DATA_ROWS
from dps_assets.core.workbooks.writer import About, BarChartSpec, Sheet, write_workbook


def rows(path: Path, sheet: str) -> list[tuple]:
    return list(load_workbook(path)[sheet].iter_rows(values_only=True))


def about(path: Path) -> dict:
    return dict(rows(path, "About")[1:])


@pytest.mark.parametrize("chart", [False, True])  # write-only mode, and the normal mode charts need
def test_characters_xml_forbids_are_written_as_replacement_characters(tmp_path, chart):
    frame = pd.DataFrame({
        "NAME": ["NUL\x00NAME", "VT\x0bNAME", "UNIT\x1fSEP", "NON\ufffeCHAR", "TAB\tAND\nLF", "PLAIN"],
        "COUNT": [1, 2, 3, 4, 5, 6],
    })
    spec = BarChartSpec("counts", ["COUNT"], 6) if chart else None
    path = tmp_path / "book.xlsx"
    write_workbook(path, [Sheet("Data", frame, spec)], About((("Partition", "FY2026-Q4\x07"),)))
    written = [r[0] for r in rows(path, "Data")[1:]]
    assert written == ["NUL\ufffdNAME", "VT\ufffdNAME", "UNIT\ufffdSEP", "NON\ufffdCHAR", "TAB\tAND\nLF", "PLAIN"]
    notes = about(path)
    assert notes["Partition"] == "FY2026-Q4\ufffd"
    assert notes["Data: cell(s) with characters XML forbids, each written as U+FFFD"] == "4"
    assert notes["About: cell(s) with characters XML forbids, each written as U+FFFD"] == "1"


def test_text_over_excels_cell_limit_is_cut_with_an_ellipsis(tmp_path):
    long_ascii = "A" * (EXCEL_MAX_CELL_CHARS + 10)
    # Excel counts UTF-16 units: 20,000 emoji are 40,000 units; a cut never splits one.
    long_emoji = "\U0001F600" * 20_000
    exact = "B" * EXCEL_MAX_CELL_CHARS
    frame = pd.DataFrame({"TEXT": [long_ascii, long_emoji, exact, "short"]})
    path = tmp_path / "book.xlsx"
    write_workbook(path, [Sheet("Data", frame)], About())
    written = [r[0] for r in rows(path, "Data")[1:]]
    assert written[0] == "A" * (EXCEL_MAX_CELL_CHARS - 1) + "…"
    assert written[1].endswith("…") and set(written[1][:-1]) == {"\U0001F600"}
    assert len(written[1][:-1].encode("utf-16-le")) // 2 <= EXCEL_MAX_CELL_CHARS - 1
    assert written[2:] == [exact, "short"]
    assert about(path)["Data: cell(s) over 32,767 characters, cut to 32,766 followed by …"] == "2"


def test_dates_outside_excels_calendar_are_written_as_text(tmp_path):
    frame = pd.DataFrame({
        "DOB": pd.Series([date(201, 3, 4), date(2010, 1, 2), None, date(9999, 12, 31)], dtype=object),
        "SEEN": pd.Series([datetime(1066, 10, 14, 9, 30), pd.Timestamp("2025-01-02 13:45"),
                           np.datetime64("0201-03-04"), pd.NaT], dtype=object),
        "DAY": pd.to_datetime(["2025-01-02", None, "2025-03-04", "2025-05-06"]),
    })
    path = tmp_path / "book.xlsx"
    write_workbook(path, [Sheet("Data", frame)], About())
    sheet = load_workbook(path)["Data"]
    assert [c.value for c in sheet["A"][1:]] == ["0201-03-04", datetime(2010, 1, 2), None, datetime(9999, 12, 31)]
    assert [c.value for c in sheet["B"][1:]] == ["1066-10-14 09:30:00", datetime(2025, 1, 2, 13, 45),
                                               "0201-03-04", None]
    assert sheet["A3"].number_format == "m/d/yyyy_0" and sheet["B3"].number_format == "m/d/yyyy h:mm:ss AM/PM_0"
    assert sheet["C2"].is_date and sheet["C3"].value is None
    notes = about(path)
    assert notes["Data: date(s) before 1900-01-01 (outside Excel's calendar), written as text YYYY-MM-DD"] == "3"


def test_formula_like_text_and_odd_types_are_written_as_values(tmp_path):
    frame = pd.DataFrame({"VALUE": pd.Series([
        '=HYPERLINK("http://example.invalid","x")', "#N/A", Decimal("1.5"), Decimal("NaN"),
        float("inf"), float("nan"), np.int64(7), np.float32(2.5), pd.NA, ["a", "list"], b"by\x00tes",
        True, 2**40,
    ], dtype=object)})
    path = tmp_path / "book.xlsx"
    write_workbook(path, [Sheet("Data", frame)], About())
    sheet = load_workbook(path)["Data"]
    cells = sheet["A"][1:]
    assert [c.value for c in cells] == [
        '=HYPERLINK("http://example.invalid","x")', "#N/A", 1.5, None, "inf", None, 7, 2.5, None,
        "['a', 'list']", "b'by\\x00tes'", True, 2**40]
    assert cells[0].data_type == "s" and cells[1].data_type == "s"  # text, not a formula or an error


def test_a_sheet_over_the_row_limit_continues_on_new_sheets(tmp_path):
    sent = pd.DataFrame({"PERSON_ID": range(1, 8), "DOB": pd.to_datetime(["2010-01-02"] * 7)})
    rejected = pd.DataFrame({"PERSON_ID": [100, 101, 102], "REASON": ["DOB is missing"] * 3})
    path = tmp_path / "end_export.xlsx"
    build_export_workbook(path, sent, rejected, about=[("Partition", "FY2026-Q4")], max_data_rows=3)
    workbook = load_workbook(path)
    # Exactly at the limit stays one sheet; over it continues, each part with the header.
    assert workbook.sheetnames == ["Export", "Export (2)", "Export (3)", "Rejected", "About"]
    parts = [rows(path, name) for name in ("Export", "Export (2)", "Export (3)")]
    assert all(part[0] == ("PERSON_ID", "DOB") for part in parts)
    assert [[r[0] for r in part[1:]] for part in parts] == [[1, 2, 3], [4, 5, 6], [7]]
    assert workbook["Export (2)"].freeze_panes == "A2" and workbook["Export (2)"].auto_filter.ref == "A1:B4"
    assert workbook["Export (3)"]["B2"].is_date
    assert about(path)["Export: 7 rows over 3 sheets of at most 3"] == "Export, Export (2), Export (3)"
    assert not any(item.startswith("Rejected") for item in about(path))


def test_an_empty_frame_is_a_sheet_with_its_header(tmp_path):
    path = tmp_path / "book.xlsx"
    write_workbook(path, [Sheet("Data", pd.DataFrame({"A": [], "B": []}))], About(), max_data_rows=3)
    assert load_workbook(path).sheetnames == ["Data", "About"]
    assert rows(path, "Data") == [("A", "B")]


def test_continued_sheet_names_stay_within_excels_31_characters(tmp_path):
    name = "A sheet name of thirty-one char"
    assert len(name) == 31
    path = tmp_path / "book.xlsx"
    write_workbook(path, [Sheet(name, pd.DataFrame({"N": [1, 2]}))], About(), max_data_rows=1)
    assert load_workbook(path).sheetnames == [name, "A sheet name of thirty-one (2)", "About"]


def test_the_default_row_limit_is_excels():
    # Excel's worksheet has 1,048,576 rows; the header takes one.
    assert EXCEL_MAX_DATA_ROWS == 1_048_575 == openpyxl.xml.constants.MAX_ROW - 1
    for function in (write_workbook, build_export_workbook):
        assert inspect.signature(function).parameters["max_data_rows"].default == EXCEL_MAX_DATA_ROWS


def test_a_column_is_as_wide_as_its_us_dates_and_times_and_separated_counts_need(tmp_path):
    frame = pd.DataFrame({"DAY": pd.to_datetime(["2025-12-31"]), "MOMENT": pd.to_datetime(["2025-12-31 23:59:59"]),
                          "N": [1_234_567_890]})
    path = tmp_path / "book.xlsx"
    write_workbook(path, [Sheet("Data", frame, count_columns=["N"])], About())
    widths = {c: load_workbook(path)["Data"].column_dimensions[c].width for c in "ABC"}
    # "12/31/2025" and "12/31/2025 11:59:59 PM" and "1,234,567,890", a digit's padding, and room.
    assert widths["A"] >= len("12/31/2025") + 2 and widths["B"] >= len("12/31/2025 11:59:59 PM") + 2
    assert widths["C"] >= len("1,234,567,890") + 2
