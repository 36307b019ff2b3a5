"""The IMPACT database: Oracle in production, a DuckDB warehouse with the same object names in
the embedded stack. Both receive the configuration's SQL text and named binds unchanged; the only
difference is the driver: DuckDB spells a named bind `$name` where Oracle spells it `:name`."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any, Literal

import pandas as pd
from dagster import ConfigurableResource
from pydantic import Field

from dps_assets.config.sql import BIND, bind_names
from dps_assets.core.privacy.errors import ExchangeError, redact_literals


class DatabaseError(ExchangeError, RuntimeError):
    """A query failed; the message names the query, never the data."""


def duckdb_bind_syntax(sql: str) -> str:
    """`:name` -> `$name`, leaving quoted text and comments alone."""
    return BIND.sub(lambda m: f"${m.group(1)}" if m.group(1) else m.group(0), sql)


class WarehouseResource(ConfigurableResource):
    """Runs the configuration's queries and returns DataFrames with upper-case column names.
    Its settings are the database and sql sections' (defaults and checks there)."""

    driver: Literal["oracle", "duckdb"] = Field(description="oracle in production, duckdb embedded")
    dsn: str | None = Field(description="Oracle Easy Connect string host:port/service")
    user: str | None = Field(description="Oracle user")
    password: str | None = Field(description="from an environment variable")
    duckdb_path: str | None = Field(description="the embedded warehouse file")
    fetch_batch_rows: int = Field(description="rows fetched per round trip")
    export_sql: str = Field(description="children in conservatorship; binds :window_start, :window_end")
    sa_98_sql: str = Field(description="runaway events; binds :fy_start_dt, :fy_end_dt")
    county_region_sql: str = Field(description="county -> region lookup; no binds")

    def conservatorship(self, window_start: date, window_end: date) -> pd.DataFrame:
        return self.query("export", self.export_sql, {"window_start": window_start, "window_end": window_end})

    def sa_98(self, fy_start: date, fy_end: date) -> pd.DataFrame:
        return self.query("sa_98", self.sa_98_sql, {"fy_start_dt": fy_start, "fy_end_dt": fy_end})

    def county_regions(self) -> pd.DataFrame:
        return self.query("county_region", self.county_region_sql, {})

    def query(self, name: str, sql: str, binds: Mapping[str, date | str | int]) -> pd.DataFrame:
        """Run one query. `name` says which configured query it is, for error messages."""
        expected = bind_names(sql)
        if expected != set(binds):
            raise DatabaseError(
                f"query {name!r} uses binds {sorted(expected)} but was given {sorted(binds)}"
            )
        driver_sql = duckdb_bind_syntax(sql) if self.driver == "duckdb" else sql
        with self._connection() as connection:
            cursor = connection.cursor()
            try:
                if self.driver == "oracle":  # rows per network round trip
                    cursor.arraysize = self.fetch_batch_rows
                cursor.execute(driver_sql, dict(binds))
                columns = [str(d[0]).upper() for d in cursor.description]
                rows = []
                while batch := cursor.fetchmany(self.fetch_batch_rows):
                    rows.extend(batch)
            except Exception as exc:  # noqa: BLE001 - drivers raise their own hierarchies
                # A driver may quote the value it choked on; the literals are blanked out and the
                # driver's exception is not chained, so no value reaches Dagster's event log.
                raise DatabaseError(
                    f"query {name!r} failed: {type(exc).__name__}: {redact_literals(str(exc))}"
                ) from None
            finally:
                cursor.close()
        return pd.DataFrame.from_records(rows, columns=columns)

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A DB-API 2 connection of either driver (the two share no type)."""
        connection: Any
        if self.driver == "oracle":
            import oracledb  # thin mode: no Oracle client libraries needed

            try:
                connection = oracledb.connect(user=self.user, password=self.password, dsn=self.dsn)
            except oracledb.Error as exc:
                raise DatabaseError(f"cannot connect to Oracle at {self.dsn} as {self.user}: "
                                    f"{type(exc).__name__}: {redact_literals(str(exc))}") from None
        else:
            import duckdb

            if not self.duckdb_path:
                raise DatabaseError("the duckdb driver needs duckdb_path")
            connection = duckdb.connect()
            # The file is attached as catalog `caps`, so `caps.cnty_reg_tableau` and
            # `caps.qtr_dps_cvs_pkg.get_sa_98` resolve exactly as they do in Oracle.
            try:
                connection.execute(f"attach '{_sql_literal(self.duckdb_path)}' as caps (read_only)")
            except duckdb.Error as exc:
                connection.close()
                raise DatabaseError(_duckdb_open_failure(self.duckdb_path, exc)) from None
        try:
            yield connection
        finally:
            connection.close()


def _duckdb_open_failure(path: str, exc: Exception) -> str:
    """Why the warehouse file cannot be opened, naming the file: missing, locked by a process
    that has it open for writing (DuckDB names that process), or not a DuckDB file."""
    message = str(exc)
    if not os.path.exists(path):
        reason = "the file does not exist"
    elif "lock" in message.lower():
        holder = re.search(r"\(PID (\d+)\)", message)
        reason = ("the file is locked by another process"
                  + (f" (PID {holder.group(1)})" if holder else "")
                  + " that has it open for writing; wait for it to finish or stop it")
    else:
        reason = f"{type(exc).__name__}: {redact_literals(message)}"
    return f"cannot open the DuckDB warehouse {path}: {reason}"


def _sql_literal(text: str) -> str:
    return text.replace("'", "''")
