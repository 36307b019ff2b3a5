"""A report workbook read back from the archive: a data sheet's columns (with the sheets it
continues on, `Name (2)`, … when it held more rows than one sheet takes) and the About sheet's
items. Only the columns asked for are kept; errors name the file, the sheet and the column,
never a cell's value, and no library's message is repeated."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from dps_assets.core.privacy.errors import ExchangeError, os_error_in, os_reason

ABOUT_SHEET = "About"
_CONTINUED = re.compile(r"^(.*) \((\d+)\)$")


class ArchivedReportError(ExchangeError, ValueError):
    """An archived workbook cannot be read as the report it should be."""


@contextmanager
def _opened(path: Path) -> Iterator[Any]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        cause = os_error_in(exc)
        reason = os_reason(cause) if cause is not None else f"not an Excel workbook ({type(exc).__name__})"
        raise ArchivedReportError(f"{path.name} in {path.parent}: {reason}") from None
    try:
        yield workbook
    finally:
        workbook.close()


def continuation_sheets(names: Sequence[str], sheet: str) -> list[str]:
    """`sheet` and the sheets it continues on (`Totals (2)`, `Totals (3)`, … as the workbook writer
    names them, cut to Excel's 31 characters), in order."""
    parts = []
    for name in names:
        match = _CONTINUED.match(name)
        if name == sheet:
            parts.append((1, name))
        elif match and sheet.startswith(match.group(1)) and int(match.group(2)) > 1:
            parts.append((int(match.group(2)), name))
    return [name for _, name in sorted(parts)]


def read_sheet(path: Path, sheet: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows of the data sheet `sheet` (and its continuations) under its header row, blank
    rows left out: all its columns, or only `columns`, in that order (each must be there)."""
    with _opened(path) as workbook:
        names = continuation_sheets(workbook.sheetnames, sheet)
        if not names:
            raise ArchivedReportError(f"{path.name} in {path.parent}: no sheet {sheet!r}")
        header: list[str] = []
        picked: list[int] = []
        rows: list[tuple[object, ...]] = []
        for name in names:
            cells = workbook[name].iter_rows(values_only=True)
            top = [str(v).strip() if v is not None else "" for v in next(cells, ())]
            if not header:
                header = list(columns) if columns is not None else [h for h in top if h]
                missing = [c for c in header if c not in top]
                if missing:
                    raise ArchivedReportError(f"{path.name} in {path.parent}, sheet {name!r}: no column(s) "
                                              f"{', '.join(missing)}")
                picked = [top.index(c) for c in header]
            elif [top[i] if i < len(top) else "" for i in picked] != header:
                raise ArchivedReportError(f"{path.name} in {path.parent}, sheet {name!r}: its header is not "
                                          f"that of sheet {names[0]!r}")
            for row in cells:
                values = tuple(row[i] if i < len(row) else None for i in picked)
                if any(v is not None and v != "" for v in values):
                    rows.append(values)
        return pd.DataFrame(rows, columns=header, dtype="object")


def read_about(path: Path) -> dict[str, object]:
    """The About sheet's items (first column) and their values (second)."""
    with _opened(path) as workbook:
        if ABOUT_SHEET not in workbook.sheetnames:
            raise ArchivedReportError(f"{path.name} in {path.parent}: no sheet {ABOUT_SHEET!r}")
        items: dict[str, object] = {}
        for row in workbook[ABOUT_SHEET].iter_rows(min_row=2, values_only=True):
            if row and row[0] is not None:
                items.setdefault(str(row[0]).strip(), row[1] if len(row) > 1 else None)
        return items
