"""DuckDB files for the embedded stack: built under a temporary name and renamed into place (so a
reader never sees a half-built file), private (0600 in a 0700 folder), filled from DataFrames."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from dps_assets.core.privacy.private_files import private_folder


def write_atomically(
    path: Path, catalog: str, fill: Callable[[duckdb.DuckDBPyConnection], None]
) -> None:
    """Build a DuckDB file under a temporary name next to `path`, then rename it into place.
    The file gets mode 0600; a parent folder created here gets 0700."""
    private_folder(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    for leftover in (temporary, Path(f"{temporary}.wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"attach '{sql_literal(str(temporary))}' as {catalog}")
        fill(con)
        con.execute(f"checkpoint {catalog}")
        con.execute(f"detach {catalog}")
    except BaseException:
        con.close()
        for leftover in (temporary, Path(f"{temporary}.wal")):
            leftover.unlink(missing_ok=True)
        raise
    con.close()
    os.chmod(temporary, 0o600)
    # A stale write-ahead log next to the target would be replayed onto the new file.
    Path(f"{path}.wal").unlink(missing_ok=True)
    os.replace(temporary, path)


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Bulk insert a DataFrame by column name (DuckDB scans it; no row-by-row inserts)."""
    view = "_frame_to_insert"
    con.register(view, frame)
    try:
        con.execute(f"insert into {table} by name select * from {view}")
    finally:
        con.unregister(view)


def sql_literal(text: str) -> str:
    """`text` for use inside a single-quoted SQL string."""
    return text.replace("'", "''")
