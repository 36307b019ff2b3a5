"""`end_export.xlsx`: what was sent (Export), what was not (Rejected), and provenance (About).

The Rejected rows are in the order an analyst works through them: by reason, then by name (last,
first, middle, as cleaned for sending, a missing name last), then as the query gave them. (The
counties are already spelled as the reports spell them: `counties.with_report_counties`.)"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from dps_assets.core.impact.names import normalize_person_name
from dps_assets.core.impact.regions import per_distinct
from dps_assets.core.workbooks.excel_values import EXCEL_MAX_DATA_ROWS
from dps_assets.core.workbooks.writer import About, Sheet, write_workbook

TITLE = "Children sent to DPS"
REJECTED_ORDER = ("REASON", "LAST_NAME", "FIRST_NAME", "MIDDLE_NAME")


def build_export_workbook(path: Path, sent: pd.DataFrame, rejected: pd.DataFrame,
                          about: Sequence[tuple[str, object]],
                          max_data_rows: int = EXCEL_MAX_DATA_ROWS) -> Path:
    """A sheet over `max_data_rows` rows continues on `Export (2)`, `Rejected (2)`, …"""
    sheets = [Sheet("Export", sent), Sheet("Rejected", rejected_in_order(rejected))]
    write_workbook(path, sheets, About(tuple(about)), max_data_rows=max_data_rows, title=TITLE)
    return path


def rejected_in_order(rejected: pd.DataFrame) -> pd.DataFrame:
    """The rejected rows by REASON, then LAST_NAME, FIRST_NAME and MIDDLE_NAME as cleaned for
    sending (`Peña` beside `PENA`; a name that cleans to nothing last), ties in the given order."""
    keys = [column for column in REJECTED_ORDER if column in rejected.columns]
    if not keys or rejected.empty:
        return rejected
    rows = rejected.reset_index(drop=True)
    sortable = pd.DataFrame({
        column: rows[column].astype("object") if column == "REASON"
        else per_distinct(rows[column], normalize_person_name)
        for column in keys})
    # Sorting by several columns is a stable lexicographic sort: ties keep the given order.
    order = sortable.sort_values(keys, kind="stable", na_position="last").index
    return rows.iloc[order].reset_index(drop=True)
