"""Runs that fail on a real `dagster dev` (webserver, daemon, code server, run workers), and what
they leave behind.

On the embedded stack, with a copy of the warehouse holding planted children (control characters
in names, a date of birth in the year 201), the module launches, through the UI's GraphQL API:
- a sending run whose process is SIGKILLed while its upload waits on a server that never answers;
- the next quarter's sending run, which needs the pool slot the killed run held;
- a sending run on the planted rows (its upload would go to a closed port: nothing is sent);
- a sending run whose export query makes DuckDB quote a planted name in its error;
- a receiving run on the planted runaway events;
and waits for the failure alerts the daemon emails. Then it checks what the killed run's alert
and log file say, searches every byte Dagster and the pipeline wrote (the SQLite event log,
compute logs, run logs, alert emails, file names) for the planted names and dates, and checks
that nothing under DAGSTER_HOME can be read by anyone but its owner."""

import os
import shutil
import signal
import socket
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance

from dps_assets.config.schema import ExchangeConfig, load_config
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.embedded.dagster_dev import DagsterDev, free_port
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets.embedded.stack import EmbeddedStack, StackLayout
from dps_assets_tests.conftest import TODAY
from dps_assets_tests.support.e2e_stack import stack_config, stack_with_data
from dps_assets_tests.support.privacy import emails_as_text, files_holding, files_under, leaks, synthetic_identities

pytestmark = pytest.mark.e2e
PASSWORD = "sweep-only-password"
KILLED, AFTER_KILL = FiscalQuarter(2026, 2), FiscalQuarter(2026, 1)
PLANTED_ROWS, QUOTED_BY_DUCKDB = FiscalQuarter(2026, 4), FiscalQuarter(2026, 3)
PLANTED_ID = 990000001
PLANTED_NAMES = ("QUIXWORTHY", "ZEBULONIA", "PLOVERSTAM", "MARIGOLDEN")
PLANTED_DOBS = ("0201-03-04", "02010304", "03/04/0201", "201-03-04", "2010-04-13", "20100413", "04/13/2010")
PLANTED_VALUES = PLANTED_NAMES + tuple(n.title() for n in PLANTED_NAMES) + PLANTED_DOBS
PLANTING = [
    # A last name ending in a vertical tab, born in the year 201; a first name holding SOH and NUL.
    f"insert into person values ({PLANTED_ID}, 'Zebulonia', null, 'Quixworthy' || chr(11), "
    "date '0201-03-04', 'F', 'WT')",
    f"insert into person values ({PLANTED_ID + 1}, 'Marigolden' || chr(1) || chr(0), null, 'Ploverstam', "
    "date '2010-04-13', 'M', 'AA')",
    f"insert into cvs_episode values ({PLANTED_ID}, {PLANTED_ID}, 'Travis', date '2020-01-02', null)",
    f"insert into cvs_episode values ({PLANTED_ID + 1}, {PLANTED_ID + 1}, 'Travis', date '2020-01-02', null)",
    f"insert into runaway_event values ({PLANTED_ID}, {PLANTED_ID}, 'Travis', date '2026-07-14', "
    "date '2026-07-20', 'RTC')",
    f"insert into runaway_event values ({PLANTED_ID + 1}, {PLANTED_ID + 1}, 'Travis', date '2026-07-15', "
    "date '2026-07-21', 'RTC')",
]


@dataclass
class Sweep:
    layout: StackLayout
    home: Path  # DAGSTER_HOME
    runs: dict[str, str]  # what each run provokes -> run id
    statuses: dict[str, str]


@contextmanager
def owner_only_umask() -> Iterator[None]:
    """What this test process writes into DAGSTER_HOME (opening the instance) is private too."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def plant_warehouse(clean: Path, planted: Path) -> Path:
    shutil.copy(clean, planted)
    with duckdb.connect(str(planted)) as con:
        for statement in PLANTING:
            con.execute(statement)
    return planted


def warehouse_config(config: ExchangeConfig, duckdb_path: Path, export_sql: str | None = None) -> dict:
    return {"config": {"driver": "duckdb", "duckdb_path": str(duckdb_path),
                       "fetch_batch_rows": config.database.fetch_batch_rows,
                       "export_sql": export_sql or config.sql.export, "sa_98_sql": config.sql.sa_98,
                       "county_region_sql": config.sql.county_region}}


def sftp_config(config: ExchangeConfig, port: int, timeout_s: float) -> dict:
    sftp = config.sftp
    return {"config": {
        "host": sftp.host, "port": port, "username": sftp.username, "password": {"env": sftp.password_env},
        "known_hosts_file": sftp.known_hosts_file, "from_folder": sftp.from_folder,
        "to_dfps_folder": sftp.to_dfps_folder,
        "processed_folder": sftp.processed_folder or f"{sftp.to_dfps_folder.rstrip('/')}/processed",
        "connect_timeout_s": timeout_s, "banner_timeout_s": timeout_s, "auth_timeout_s": timeout_s,
        "io_timeout_s": timeout_s, "remote_file_mode": sftp.remote_file_mode,
        "upload_strategy": sftp.upload_strategy}}


def step_started(instance: DagsterInstance, run_id: str, step: str, timeout_s: float = 180):
    """The STEP_START event of `step` (it carries the pid of the process running the step)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for entry in instance.all_logs(run_id, of_type=DagsterEventType.STEP_START):
            if entry.dagster_event.step_key == step:
                return entry.dagster_event
        time.sleep(0.2)
    raise TimeoutError(f"step {step} of run {run_id} did not start within {timeout_s:g} s")


def wait_for_emails(mailbox: Path, count: int, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while len(read_mailbox(mailbox)) < count:
        if time.monotonic() > deadline:
            subjects = [m["Subject"] for m in read_mailbox(mailbox)]
            raise TimeoutError(f"{len(subjects)} of {count} alert(s) arrived within {timeout_s:g} s: {subjects}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory, embedded_data: Path) -> Iterator[Sweep]:
    """Everything is provoked, alerted and shut down before the tests look (a running Dagster
    writes and removes journal files while they are searched)."""
    layout, settings = stack_with_data(tmp_path_factory.mktemp("sweep"), embedded_data, PASSWORD, TODAY)
    planted = plant_warehouse(layout.warehouse, layout.data / "planted.duckdb")
    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections and never says a word
    with silent, EmbeddedStack(layout, settings) as stack:
        config_path = stack_config(layout, stack)
        env = {"DPS_CONFIG": str(config_path), "DPS_SFTP_PASSWORD": PASSWORD}
        with DagsterDev(layout.base / "dagster_home", env, port=free_port()) as dagster, owner_only_umask():
            dagster.wait_for_sensor_tick("run_failure_alert")
            runs, statuses = provoke_failures(dagster, load_config(config_path), planted,
                                              silent_port=silent.getsockname()[1], closed_port=free_port())
            wait_for_emails(layout.mailbox, sum(status == "FAILURE" for status in statuses.values()))
    yield Sweep(layout, dagster.home, runs, statuses)


def provoke_failures(dagster: DagsterDev, config: ExchangeConfig, planted: Path, silent_port: int,
                     closed_port: int) -> tuple[dict[str, str], dict[str, str]]:
    """Launch the runs of the module's docstring; (what each provokes -> run id, -> status)."""
    runs: dict[str, str] = {}
    with DagsterInstance.from_config(str(dagster.home)) as instance:
        runs["killed"] = dagster.submit("send_to_dps", KILLED.partition_key, run_config={
            "resources": {"sftp": sftp_config(config, silent_port, timeout_s=600)}})
        uploading = step_started(instance, runs["killed"], "dps_submission")
        os.kill(uploading.pid, signal.SIGKILL)
        statuses = {"killed": dagster.wait_for_run(runs["killed"], timeout_s=120)}

    closed = {"sftp": sftp_config(config, closed_port, timeout_s=10)}
    runs["after_kill"] = dagster.submit("send_to_dps", AFTER_KILL.partition_key, run_config={"resources": closed})
    runs["planted_rows"] = dagster.submit("send_to_dps", PLANTED_ROWS.partition_key, run_config={
        "resources": {**closed, "warehouse": warehouse_config(config, planted)}})
    quoting_sql = (f"select *, cast(case when person_id = {PLANTED_ID} then last_name end as bigint) "
                   f"as planted from ({config.sql.export})")
    runs["quoted_by_duckdb"] = dagster.submit("send_to_dps", QUOTED_BY_DUCKDB.partition_key, run_config={
        "resources": {"warehouse": warehouse_config(config, planted, quoting_sql)}})
    no_retries = {"config": {"retries": 0}}  # the closed port would be retried for minutes
    runs["planted_runaways"] = dagster.submit("receive_from_dps", PLANTED_ROWS.partition_key, run_config={
        "resources": {**closed, "warehouse": warehouse_config(config, planted)},
        "ops": {"dps_results": no_retries, "dps_counts": no_retries}})
    for name, run_id in runs.items():
        statuses.setdefault(name, dagster.wait_for_run(run_id, timeout_s=300))
    return runs, statuses


def alert_of(sweep: Sweep, run: str) -> str:
    [body] = [text for _, text in emails_as_text(sweep.layout.mailbox) if f"(run {sweep.runs[run]})" in text]
    return body


def test_a_killed_run_is_alerted_and_logged_as_killed(sweep: Sweep):
    assert sweep.statuses["killed"] == "FAILURE"
    alert = alert_of(sweep, "killed")
    assert f"send_to_dps failed for {KILLED.label}" in alert
    killed = ("the run was killed while dps_submission ran: its process was terminated by signal 9 "
              "(SIGKILL), by an operator or by the operating system (out of memory); no step failed.")
    assert killed in alert

    [log] = (sweep.layout.base / "logs" / "to_dps").glob(f"{KILLED.tag}_*_{sweep.runs['killed'][:8]}.log")
    last = log.read_text().splitlines()[-1]
    assert f"ERROR   run: {killed}" in last
    # Killed before anything was sent: nothing is archived as sent.
    assert not list((sweep.layout.base / "archive" / "to_dps" / KILLED.tag).glob("*"))


def test_the_pool_slot_of_a_killed_upload_is_freed_for_the_next_one(sweep: Sweep):
    # The next quarter's upload ran (and failed on the closed port) instead of waiting forever.
    assert sweep.statuses["after_kill"] == "FAILURE"
    assert "Step dps_submission: SftpError: " in alert_of(sweep, "after_kill")


def test_a_library_error_quoting_a_planted_name_is_alerted_by_step_and_class(sweep: Sweep):
    alert = alert_of(sweep, "quoted_by_duckdb")
    assert "Step dps_export: DatabaseError: query 'export' failed: ConversionException" in alert


def test_no_planted_name_or_date_of_birth_escapes(sweep: Sweep):
    layout = sweep.layout
    home, logs = sweep.home, layout.base / "logs"
    written = files_under(home, logs, layout.mailbox)
    assert any(p.name.endswith(".db") for p in written) and any(p.suffix == ".err" for p in written)
    found = files_holding(PLANTED_VALUES, written)
    emails = emails_as_text(layout.mailbox)
    assert len(emails) >= 4
    found += [f"{where}: {value}" for where, text in emails for value in PLANTED_VALUES if value in text]
    names = [str(p.relative_to(layout.base)) for p in files_under(layout.base)]
    found += [f"file name {name}" for name in names for value in PLANTED_VALUES if value in name]
    assert found == []

    # Nor any other child's: what people read (run logs, alerts, the event log's messages).
    synthetic_names, dobs = synthetic_identities(layout.warehouse)
    texts = [(str(p), p.read_text(errors="replace")) for p in files_under(logs)] + emails
    with owner_only_umask(), DagsterInstance.from_config(str(home)) as instance:
        for run_id in sweep.runs.values():
            for entry in instance.all_logs(run_id):
                texts.append((f"event log of run {run_id[:8]}", f"{entry.user_message} {entry.dagster_event}"))
    assert leaks(texts, synthetic_names, dobs) == []


def test_nothing_under_dagster_home_is_readable_by_others(sweep: Sweep):
    home = sweep.home
    entries = [home, *home.rglob("*")]
    assert any(p.match("history/runs/*.db") for p in entries) and any(p.name == "index.db" for p in entries)
    assert any(p.name == "schedules.db" for p in entries) and any(p.suffix == ".err" for p in entries)
    readable = [f"{p.relative_to(home)} {stat.filemode(p.lstat().st_mode)}" for p in entries
                if not p.is_symlink() and p.lstat().st_mode & 0o077]
    assert readable == []
    logs = sweep.layout.base / "logs"
    assert [p for p in [logs, *logs.rglob("*")] if p.lstat().st_mode & 0o077] == []
