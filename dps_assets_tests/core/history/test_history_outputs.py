"""The history's outputs from records (the workbook's sheets, the CSV) and its reader of archived
workbooks (continuation sheets, errors that name the file and never a value)."""

from __future__ import annotations

import pandas as pd
import pytest

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.history.archived_reports import ArchivedReportError, continuation_sheets, read_sheet
from dps_assets.core.history.figures import Figure
from dps_assets.core.history.outputs import history_csv, region_sheet, share_sheet, statewide_sheet
from dps_assets.core.history.store import FROM_DELIVERY, QuarterRecord
from dps_assets.core.workbooks.writer import About, Sheet, write_workbook

QUARTERS = [FiscalQuarter(2025, 3), FiscalQuarter(2025, 4), FiscalQuarter(2026, 2), FiscalQuarter(2026, 3)]


def record(quarter: FiscalQuarter, n: int) -> QuarterRecord:
    figures = [Figure("DPS_RUNAWAY_EVENTS", p, r, n * k) for p in ("QUARTER", "FISCAL_YEAR_TO_DATE")
               for r, k in (("2", 1), ("10", 2), ("STATEWIDE", 3))]
    figures += [Figure("IMPACT_RUNAWAY_EVENTS", "QUARTER", "STATEWIDE", 8 * n),
                Figure("IMPACT_EVENTS_REPORTED_TO_DPS", "QUARTER", "STATEWIDE", 2 * n),
                Figure("CHILDREN_SENT", "FISCAL_YEAR_TO_DATE", "STATEWIDE", 1000 + n)]
    return QuarterRecord(quarter, f"reports/{quarter.tag}/r", FROM_DELIVERY, None, tuple(figures))


HISTORY = {q: record(q, n) for n, q in enumerate(QUARTERS, start=1)}  # FY2026-Q1 was not delivered


def test_the_statewide_sheet_compares_the_latest_with_the_quarter_before_and_a_year_earlier():
    frame = statewide_sheet(HISTORY).frame
    assert list(frame.columns) == ["MEASURE", "FY2025-Q3", "FY2025-Q4", "FY2026-Q1", "FY2026-Q2", "FY2026-Q3",
                                   "CHANGE_FROM_PREVIOUS_QUARTER", "CHANGE_FROM_A_YEAR_EARLIER"]
    events = frame.iloc[0].tolist()
    assert events == ["DPS runaway events", 3, 6, None, 9, 12, 3, 9]
    share = frame[frame["MEASURE"].str.startswith("Share")].iloc[0].tolist()
    assert share[1:] == [25.0, 25.0, None, 25.0, 25.0, 0.0, 0.0]
    assert frame.iloc[-1].tolist()[1:6] == [1001, 1002, None, 1003, 1004]


def test_a_measure_sheet_is_fiscal_year_over_fiscal_year():
    sheet = region_sheet(HISTORY, "DPS_RUNAWAY_EVENTS")
    frame = sheet.frame
    assert list(frame.columns) == ["REGION", "FISCAL_YEAR", "Q1", "Q2", "Q3", "Q4", "FYTD_TOTAL"]
    assert frame["REGION"].tolist() == [2, 2, 10, 10, "STATEWIDE", "STATEWIDE"]
    assert [None if pd.isna(v) else v for v in frame.iloc[0]] == [2, "FY2025", None, None, 1, 2, 2]
    assert [None if pd.isna(v) else v for v in frame.iloc[5]] == ["STATEWIDE", "FY2026", None, 9, 12, None, 12]
    assert sheet.totals == 2  # the STATEWIDE rows, set apart
    share = share_sheet(HISTORY).frame
    assert share["FIGURE"].tolist()[:3] == ["IMPACT runaway events", "IMPACT runaway events DPS has",
                                            "Share of IMPACT runaway events DPS has (%)"]


def test_the_csv_is_counts_only_one_per_line():
    text = history_csv(HISTORY).decode("ascii")
    lines = text.split("\r\n")
    assert lines[0] == "FISCAL_QUARTER,FISCAL_YEAR,QUARTER,QUARTER_START,QUARTER_END,MEASURE,PERIOD,REGION,VALUE"
    assert lines[1] == "FY2025-Q3,2025,3,2025-03-01,2025-05-31,DPS_RUNAWAY_EVENTS,QUARTER,2,1"
    assert len(lines) - 2 == 4 * 9  # four quarters of nine figures, and the final line end


def test_a_sheet_is_read_with_its_continuations_and_only_the_columns_asked(tmp_path):
    assert continuation_sheets(["Totals", "About", "Totals (3)", "Totals (2)"], "Totals") == \
        ["Totals", "Totals (2)", "Totals (3)"]
    frame = pd.DataFrame({"REGION": [1, 2, 3, 4, 5], "NAME": list("abcde"), "FISCAL_QUARTER": ["FY2026-Q1"] * 5})
    path = tmp_path / "r.xlsx"
    write_workbook(path, [Sheet("IMPACT not in DPS", frame)], About(()), max_data_rows=2)
    read = read_sheet(path, "IMPACT not in DPS", ["FISCAL_QUARTER", "REGION"])
    assert read.values.tolist() == [["FY2026-Q1", r] for r in range(1, 6)]
    with pytest.raises(ArchivedReportError, match=r"r\.xlsx in .*, sheet 'IMPACT not in DPS': no column\(s\) DOB"):
        read_sheet(path, "IMPACT not in DPS", ["DOB"])
    with pytest.raises(ArchivedReportError, match=r"r\.xlsx in .*: no sheet 'Totals'"):
        read_sheet(path, "Totals")
    (tmp_path / "broken.xlsx").write_bytes(b"GARCIA,MARIA,2010-01-01")
    with pytest.raises(ArchivedReportError, match=r"broken\.xlsx in .*: not an Excel workbook \(\w+\)$") as raised:
        read_sheet(tmp_path / "broken.xlsx", "Totals")
    assert "GARCIA" not in str(raised.value)
