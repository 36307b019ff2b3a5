"""The writer converts a column at a time from its dtype (`core.workbooks.columns`); what it
writes is what `core.workbooks.excel_values`' rules say for each value, whatever the dtype, across
blocks of rows, and its memory does not grow with the rows (constant-memory writing, a block at a time)."""

import tracemalloc
from datetime import datetime, time, timedelta

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from dps_assets.core.workbooks import rows as workbook_rows
from dps_assets.core.workbooks.writer import About, Sheet, write_workbook


def written(tmp_path, frame, name="book.xlsx"):
    path = tmp_path / name
    write_workbook(path, [Sheet("Data", frame)], About())
    book = load_workbook(path)
    notes = {row[0]: row[1] for row in book["About"].iter_rows(min_row=2, values_only=True)}
    return book["Data"], notes


def column(sheet, letter):
    return [c.value for c in sheet[letter][1:]]


def test_numbers_by_dtype(tmp_path):
    frame = pd.DataFrame({
        "FLOAT": [1.5, np.nan, np.inf, -np.inf],
        "NULLABLE_INT": pd.array([1, None, 2**40, -3], dtype="Int64"),
        "FLAG": [True, False, True, False],
        "NULLABLE_FLAG": pd.array([True, None, False, True], dtype="boolean"),
    })
    sheet, _ = written(tmp_path, frame)
    assert column(sheet, "A") == [1.5, None, "inf", "-inf"]
    assert column(sheet, "B") == [1, None, 2**40, -3]
    assert column(sheet, "C") == [True, False, True, False]
    assert column(sheet, "D") == [True, None, False, True]


def test_datetime_columns_are_excel_dates_and_days_before_1900_text(tmp_path):
    frame = pd.DataFrame({
        # Around Excel's 1900-02-29 that never was: the serials on both sides read back right.
        "DAY": pd.to_datetime(["1900-01-01", "1900-02-28", "1900-03-01", None]),
        "MOMENT": pd.to_datetime(["2025-01-02 13:45:30", "2025-01-03 00:00:00", None, "2025-01-04 00:00:01"]),
        "AWARE": pd.to_datetime(["2025-06-01 08:00"] * 4).tz_localize("America/Chicago"),
        "OLD": pd.Series(np.array(["0201-03-04", "1899-12-31", "1950-05-06", "NaT"], dtype="datetime64[s]")),
    })
    sheet, notes = written(tmp_path, frame)
    assert column(sheet, "A") == [datetime(1900, 1, 1), datetime(1900, 2, 28), datetime(1900, 3, 1), None]
    assert column(sheet, "B") == [datetime(2025, 1, 2, 13, 45, 30), datetime(2025, 1, 3), None,
                                  datetime(2025, 1, 4, 0, 0, 1)]
    assert [sheet["B2"].number_format, sheet["B3"].number_format] == ["m/d/yyyy h:mm:ss AM/PM_0", "m/d/yyyy_0"]
    assert column(sheet, "C") == [datetime(2025, 6, 1, 8, 0)] * 4  # the wall-clock time
    assert column(sheet, "D") == ["0201-03-04", "1899-12-31", datetime(1950, 5, 6), None]
    assert sheet["A2"].number_format == "m/d/yyyy_0" and sheet["D4"].is_date
    assert notes["Data: date(s) before 1900-01-01 (outside Excel's calendar), written as text YYYY-MM-DD"] == "2"


def test_text_columns_of_any_dtype_are_text_by_the_rules(tmp_path):
    frame = pd.DataFrame({
        "OBJECT": ["=1+1", np.nan, "BELL\x07", "@SUM(A1)"],
        "STRING": pd.array(["#N/A", None, "=A1", "plain"], dtype="string"),
        "CATEGORY": pd.Categorical(["b", "a", None, "=x"]),
        "ODD": pd.Series([time(9, 30), timedelta(hours=30), b"x", ("a", 1)], dtype=object),
        "HUGE": pd.Series([10**400, -(10**400), 2**70, None], dtype=object),
    })
    sheet, notes = written(tmp_path, frame)
    assert column(sheet, "A") == ["=1+1", None, "BELL\ufffd", "@SUM(A1)"]
    assert column(sheet, "B") == ["#N/A", None, "=A1", "plain"]
    assert column(sheet, "C") == ["b", "a", None, "=x"]
    assert all(c.data_type == "s" for c in (sheet["A2"], sheet["B2"], sheet["B4"], sheet["C5"]))
    assert column(sheet, "D")[0] == time(9, 30) and column(sheet, "D")[1] == timedelta(hours=30)
    assert column(sheet, "D")[2:] == ["b'x'", "('a', 1)"]
    # Never a crash: past a float's range as digits; below it a number (to Excel's 15-16 digits).
    assert column(sheet, "E") == [str(10**400), str(-(10**400)), pytest.approx(2**70, rel=1e-15), None]
    assert notes["Data: cell(s) with characters XML forbids, each written as U+FFFD"] == "1"


def test_rows_are_written_in_order_across_blocks_and_rules_counted_in_each(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook_rows, "BLOCK_ROWS", 3)
    frame = pd.DataFrame({"N": range(10), "TEXT": ["ok", "bad\x00"] * 5,
                          "DAY": pd.to_datetime(["2025-01-01"] * 9 + [None])})
    sheet, notes = written(tmp_path, frame)
    assert column(sheet, "A") == list(range(10))
    assert column(sheet, "B") == ["ok", "bad\ufffd"] * 5
    assert column(sheet, "C") == [datetime(2025, 1, 1)] * 9 + [None]
    assert notes["Data: cell(s) with characters XML forbids, each written as U+FFFD"] == "5"


def peak_allocated_writing(tmp_path, rows: int) -> int:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"ID": np.arange(rows), "NAME": rng.choice(["GARCIA", "SMITH", "NGUYEN"], rows),
                          "DOB": pd.Series(np.datetime64("2010-01-01") + rng.integers(0, 3000, rows)),
                          "CODE": rng.choice(["M", "F"], rows).astype(object)})
    tracemalloc.start()
    try:
        write_workbook(tmp_path / f"rows_{rows}.xlsx", [Sheet("Data", frame)], About())
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_in_the_number_of_rows(tmp_path):
    small, large = peak_allocated_writing(tmp_path, 20_000), peak_allocated_writing(tmp_path, 100_000)
    # Five times the rows: the writing's own peak stays that of one block of rows.
    assert large < small * 1.3 + 2**20, (small, large)
