"""A warehouse that cannot be opened is one of our errors naming the database. (An unreachable
Oracle is tested in test_errors.py, with the real thin driver against a closed loopback port.)"""

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dps_assets.resources.database import DatabaseError, WarehouseResource

# Holds the file open read-write (DuckDB's exclusive lock) until its stdin closes.
HOLDER = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1])
print("open", flush=True)
sys.stdin.read()
connection.close()
"""


def warehouse(path: Path) -> WarehouseResource:
    return WarehouseResource(driver="duckdb", duckdb_path=str(path), fetch_batch_rows=100,
                             export_sql="select 1", sa_98_sql="select 1", county_region_sql="select 1")


def failure(path: Path) -> DatabaseError:
    with pytest.raises(DatabaseError) as raised:
        warehouse(path).county_regions()
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    return raised.value


def make_warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table cnty_reg_tableau as select 'Travis' cnty_name, '7' sub_reg")


def test_a_missing_duckdb_file_is_named(tmp_path):
    path = tmp_path / "caps.duckdb"
    assert str(failure(path)) == f"cannot open the DuckDB warehouse {path}: the file does not exist"
    assert not path.exists()  # nothing was created in its place


def test_a_duckdb_file_locked_by_another_process_is_named(tmp_path):
    path = tmp_path / "caps.duckdb"
    make_warehouse(path)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "open\n"
        text = str(failure(path))
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert text == (f"cannot open the DuckDB warehouse {path}: the file is locked by another "
                    f"process (PID {holder.pid}) that has it open for writing; wait for it to "
                    "finish or stop it")
    # Once the other process is gone, the same resource reads the file.
    readable = warehouse(path).query("county_region", "select cnty_name from caps.cnty_reg_tableau", {})
    assert readable["CNTY_NAME"].tolist() == ["Travis"]


def test_a_file_that_is_not_a_duckdb_database_is_named(tmp_path):
    path = tmp_path / "caps.duckdb"
    path.write_text("PERSON_ID|LAST_NAME\n1|PENA\n")
    text = str(failure(path))
    assert text.startswith(f"cannot open the DuckDB warehouse {path}: IOException: ")
    assert "not a valid DuckDB database file" in text and "PENA" not in text
