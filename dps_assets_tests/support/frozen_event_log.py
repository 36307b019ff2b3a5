"""Dagster's event log on the instance's PostgreSQL, closed to writes for a moment: the test
holds `LOCK TABLE event_logs IN SHARE MODE`, under which every process still reads the ledger
but a run's next event waits. A run that has just done something and not yet recorded it is
then held between the two, for as long as the test needs (to kill its worker there).

A killed worker's write may already be waiting on the lock; its database session would carry
it out the moment the lock goes, as if the worker had lived a moment longer.
`drop_writes_waiting` ends those sessions first, which is what PostgreSQL does by itself to a
session whose client is gone once it notices (the write then never happened)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2

_TABLE = "event_logs"  # dagster-postgres's event log table
_WAITING = ("select l.pid from pg_locks l join pg_class c on c.oid = l.relation "
            "where c.relname = %s and not l.granted")


def _connect():
    """A connection to the instance's database, from the variables deploy/dagster.yaml reads."""
    return psycopg2.connect(host=os.environ["DAGSTER_PG_HOST"], port=os.environ["DAGSTER_PG_PORT"],
                            dbname=os.environ["DAGSTER_PG_DB"], user=os.environ["DAGSTER_PG_USER"],
                            password=os.environ["DAGSTER_PG_PASSWORD"])


class FrozenEventLog:
    def __init__(self) -> None:
        self.dropped: list[int] = []

    def drop_writes_waiting(self, timeout_s: float = 30) -> list[int]:
        """End the sessions waiting to write into the event log; returns their process ids once
        they are gone."""
        watcher = _connect()
        watcher.autocommit = True  # each query sees the server as it is now
        try:
            with watcher.cursor() as cursor:
                cursor.execute(_WAITING, (_TABLE,))
                pids = sorted({row[0] for row in cursor.fetchall()})
                for pid in pids:
                    cursor.execute("select pg_terminate_backend(%s)", (pid,))
                deadline = time.monotonic() + timeout_s
                while pids:
                    cursor.execute("select count(*) from pg_stat_activity where pid = any(%s)", (pids,))
                    if cursor.fetchone()[0] == 0:
                        break
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"sessions {pids} still there {timeout_s:g} s after being ended")
                    time.sleep(0.1)
        finally:
            watcher.close()
        self.dropped += pids
        return pids


@contextmanager
def frozen_event_log() -> Iterator[FrozenEventLog]:
    holder = _connect()  # not autocommit: the lock lasts until the transaction ends
    try:
        with holder.cursor() as cursor:
            cursor.execute(f"lock table {_TABLE} in share mode")
        yield FrozenEventLog()
    finally:
        holder.rollback()
        holder.close()
