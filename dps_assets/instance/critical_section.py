"""Critical sections that hold across every process that runs the exchange's steps.

The guards of the exchange check the ledger (Dagster's event log) and then act: upload once, one
quarter awaiting DPS at a time, email once. Two runs started together (UI, sensor, schedule,
CLI, backfill) could both pass such a check, so each guard runs check, act and record inside an
exclusive lock named for what it protects, and the record (an event in the instance) exists
before the lock is released.

The lock lives where the ledger lives, so it holds wherever run workers execute:
- on a PostgreSQL instance (production, workers possibly on other hosts), a session-level
  advisory lock (`pg_advisory_lock`) on a connection of its own to the instance's database;
- on a SQLite instance (the demo, the tests; one host), an exclusive transaction on a small
  SQLite file in the instance's storage folder.
Both are released by the database when the holder's connection or process dies, so a killed run
never leaves a lock behind. Dagster's pools (limit 1, in every shipped instance configuration)
queue the same steps before they start; this lock is what makes the guard hold if a pool is
misconfigured or absent."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import DagsterInstance

from dps_assets.core.privacy.errors import ExchangeError
from dps_assets.core.privacy.private_files import private_folder

# The two things only one run at a time may touch: DPS's folder (an upload is checked against the
# one-awaiting-DPS rule and recorded) and the delivery of a quarter's reports (email once).
DPS_FOLDER = "dps_folder"
REPORT_DELIVERY = "report_delivery"

POOLS = (DPS_FOLDER, REPORT_DELIVERY)

DEFAULT_TIMEOUT_S = 3600.0

# The instance settings every shipped Dagster instance carries (demo, tests, production): each
# pool the exchange's steps name (DPS_FOLDER, REPORT_DELIVERY) admits one step at a time, so a
# second run's step queues in Dagster (shown as waiting for a pool) before it reaches the lock.
# On PostgreSQL, set each pool's limit once when deploying (`dagster instance concurrency set
# dps_folder 1`, the same for report_delivery): Dagster creates a default-limit pool row on first
# use, and two runs doing that at the same moment fail one of them (its insert aborts the
# transaction its fallback update then runs in).
INSTANCE_CONCURRENCY = {"concurrency": {"pools": {"default_limit": 1, "granularity": "op"}}}


class LockTimeoutError(ExchangeError, TimeoutError):
    """Another run held the lock for longer than this run would wait."""


class UnsupportedInstanceError(ExchangeError, RuntimeError):
    """The instance's storage offers no lock that holds across the processes that run steps."""


@contextmanager
def exclusive(instance: DagsterInstance, name: str, *, timeout_s: float = DEFAULT_TIMEOUT_S,
              on_wait: Callable[[str], None] = lambda _: None) -> Iterator[None]:
    """Hold the lock `name` for the body. When another run holds it, `on_wait` is told once and
    this run waits up to `timeout_s`."""
    postgres_url = getattr(instance.run_storage, "postgres_url", None)
    if postgres_url:
        with _postgres_advisory_lock(postgres_url, name, timeout_s, on_wait):
            yield
    elif type(instance.run_storage).__name__ in {"SqliteRunStorage", "InMemoryRunStorage"}:
        with _sqlite_lock(Path(instance.storage_directory()) / "locks" / f"{name}.sqlite",
                          name, timeout_s, on_wait):
            yield
    else:
        raise UnsupportedInstanceError(
            f"the Dagster instance's run storage ({type(instance.run_storage).__name__}) has no lock "
            "this pipeline can hold across run workers; use PostgreSQL (production) or SQLite")


def lock_id(name: str) -> int:
    """A stable signed 64-bit key for `pg_advisory_lock`, the same in every process."""
    return int.from_bytes(hashlib.sha256(f"dps_exchange:{name}".encode()).digest()[:8], "big", signed=True)


def _waiting(name: str) -> str:
    return f"waiting for the {name.replace('_', ' ')} lock: another run of the exchange holds it"


@contextmanager
def _sqlite_lock(path: Path, name: str, timeout_s: float, on_wait: Callable[[str], None]) -> Iterator[None]:
    private_folder(path.parent)
    # isolation_level=None: Python's sqlite3 issues no implicit BEGIN; we take the lock ourselves.
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        try:
            connection.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            on_wait(_waiting(name))
            # SQLite's busy handler retries until the holder's transaction ends (or it dies).
            connection.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
            started = time.monotonic()
            try:
                connection.execute("BEGIN EXCLUSIVE")
            except sqlite3.OperationalError:
                raise LockTimeoutError(
                    f"{name}: still held by another run after {time.monotonic() - started:.0f} s; "
                    "nothing was done") from None
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
    finally:
        connection.close()


@contextmanager
def _postgres_advisory_lock(url: str, name: str, timeout_s: float,
                            on_wait: Callable[[str], None]) -> Iterator[None]:
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    engine = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    key = lock_id(name)
    try:
        with engine.connect() as connection:
            if not connection.execute(sa.text("select pg_try_advisory_lock(:key)"), {"key": key}).scalar():
                on_wait(_waiting(name))
                connection.execute(sa.text(f"set lock_timeout = {int(timeout_s * 1000)}"))
                try:
                    connection.execute(sa.text("select pg_advisory_lock(:key)"), {"key": key})
                except sa.exc.OperationalError:
                    raise LockTimeoutError(
                        f"{name}: still held by another run after {timeout_s:.0f} s; nothing was done"
                    ) from None
            try:
                yield
            finally:
                connection.execute(sa.text("select pg_advisory_unlock(:key)"), {"key": key})
    finally:
        engine.dispose()
