"""`end_export.xlsx`: what was sent (Export), what was not (Rejected), and provenance (About)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from dps_assets.core.workbooks.excel_values import EXCEL_MAX_DATA_ROWS
from dps_assets.core.workbooks.writer import About, Sheet, write_workbook


def build_export_workbook(path: Path, sent: pd.DataFrame, rejected: pd.DataFrame,
                          about: Sequence[tuple[str, object]],
                          max_data_rows: int = EXCEL_MAX_DATA_ROWS) -> Path:
    """A sheet over `max_data_rows` rows continues on `Export (2)`, `Rejected (2)`, …"""
    write_workbook(path, [Sheet("Export", sent), Sheet("Rejected", rejected)], About(tuple(about)),
                   max_data_rows=max_data_rows)
    return path
