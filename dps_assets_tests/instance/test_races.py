"""Two runs started at the same moment, as separate processes on one instance: the upload
guard, the one-quarter-awaiting-DPS rule and the email-once guard each hold, in three rounds (each
storage without the pools, production's with them), with a slowed upload link and a slow relay so
that the runs really overlap.

Rounds run on the demo's SQLite instance and on the production instance file
(deploy/dagster.yaml) over a real PostgreSQL server, most of them WITHOUT the shipped pool
limits: the lock alone (an exclusive SQLite transaction, a PostgreSQL advisory lock) must hold.
Rounds with the pools show the shipped files work as they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.embedded.dagster_dev import INSTANCE_YAML
from dps_assets.embedded.simulated_dps import build_answer, load_tcic, submitted_ids
from dps_assets.embedded.smtp_server import read_mailbox, start_smtp_server
from dps_assets.instance.critical_section import INSTANCE_CONCURRENCY
from dps_assets_tests.conftest import TODAY
from dps_assets_tests.support.postgres_server import PostgresServer
from dps_assets_tests.support.racing_runs import RECEIVING, SENDING, ExchangeHome, openssh_settings, pool_limits_of
from dps_assets_tests.support.throttled_link import ThrottledLink

pytestmark = pytest.mark.e2e
Q4 = FiscalQuarter.latest_closed(TODAY)  # FY2026-Q4
Q3 = Q4.previous()
UPLOAD_RATE = 100_000  # bytes per second: the text file takes seconds to cross
PRODUCTION_INSTANCE = (Path(__file__).resolve().parents[2] / "deploy" / "dagster.yaml").read_text()
# (storage, pools): each storage without the pools (the lock alone must hold), and production's
# storage with them: three races a guard. (Two more rounds repeating the first two added chances
# of catching a race, not cases, for two minutes of CI.)
ROUNDS = [("sqlite", False), ("postgres", False), ("postgres", True)]


@pytest.fixture(scope="module")
def postgres():
    with PostgresServer() as server:
        yield server


@pytest.fixture
def link(openssh_server):
    openssh_server.reset()
    with ThrottledLink(openssh_server.port, UPLOAD_RATE) as throttled:
        yield throttled


def home_for(base: Path, server, link, smtp_port: int, embedded_data: Path, storage: str, pools: bool,
             request) -> ExchangeHome:
    base.mkdir(mode=0o700)
    instance = {}
    if storage == "postgres":
        database = f"round_{abs(hash(request.node.nodeid)) % 10**8}"
        env = request.getfixturevalue("postgres").create_database(database)
        instance = {"instance_yaml": PRODUCTION_INSTANCE, "instance_env": env}
    return ExchangeHome(base, sftp=openssh_settings(server, base, port=link.port), smtp_port=smtp_port,
                        duckdb_path=embedded_data / "caps.duckdb", pools=pools, **instance)


def uploads_archived(home: ExchangeHome) -> list[Path]:
    root = home.base / "archive" / "to_dps"
    return sorted(p for p in root.glob("*/*") if p.is_dir() and not p.name.startswith(".")) if root.exists() else []


def test_the_shipped_instances_limit_both_pools_to_one():
    assert pool_limits_of(INSTANCE_YAML) == INSTANCE_CONCURRENCY
    assert pool_limits_of(PRODUCTION_INSTANCE) == INSTANCE_CONCURRENCY
    assert INSTANCE_CONCURRENCY["concurrency"]["pools"]["default_limit"] == 1


@pytest.mark.parametrize("storage, pools", ROUNDS)
def test_two_uploads_of_one_quarter_at_once_upload_once(storage, pools, tmp_path, openssh_server, link,
                                                        embedded_data, request):
    home = home_for(tmp_path / "round", openssh_server, link, 1, embedded_data, storage, pools, request)
    first, second = home.race([(SENDING, Q4.partition_key), (SENDING, Q4.partition_key)])
    assert first.returncode == 0 and second.returncode == 0, first.output[-3000:] + second.output[-3000:]

    [submission] = home.submissions()
    [archived] = uploads_archived(home)
    sent = (archived / "End_txt_file.txt").read_bytes()
    assert (openssh_server.from_folder / "End_txt_file.txt").read_bytes() == sent
    assert submission.quarter == Q4 and submission.rows == sent.count(b"\r\n") - 1
    # One file's worth of bytes crossed the link (plus SSH's overhead), not two.
    assert len(sent) <= link.counters.bytes_up < 1.5 * len(sent)
    assert len(sent) / UPLOAD_RATE > 1  # the upload really took a while
    logs = "".join(p.read_text() for p in (home.base / "logs" / "to_dps").iterdir())
    assert "was already submitted" in logs


@pytest.mark.parametrize("storage, pools", ROUNDS)
def test_two_quarters_uploaded_at_once_send_one_and_refuse_the_other(storage, pools, tmp_path, openssh_server,
                                                                     link, embedded_data, request):
    home = home_for(tmp_path / "round", openssh_server, link, 1, embedded_data, storage, pools, request)
    runs = home.race([(SENDING, Q3.partition_key), (SENDING, Q4.partition_key)])

    [submission] = home.submissions()
    [archived] = uploads_archived(home)
    assert archived.parent.name == submission.quarter.tag
    on_server = (openssh_server.from_folder / "End_txt_file.txt").read_bytes()
    assert on_server == (archived / "End_txt_file.txt").read_bytes()
    assert sorted(r.returncode == 0 for r in runs) == [False, True], [r.output[-4000:] for r in runs]
    refused = next(r for r in runs if r.returncode != 0)
    assert f"{submission.quarter.label} is still waiting for DPS's answer" in refused.output, refused.output[-4000:]
    assert not list(openssh_server.from_folder.glob(".*"))  # no partial left behind


@pytest.fixture
def slow_relay(tmp_path):
    mailbox = tmp_path / "mail"
    with start_smtp_server(mailbox, accept_delay_s=1.5) as server:
        yield int(server.fields["port"]), mailbox


@pytest.mark.parametrize("storage, pools", ROUNDS)
def test_two_deliveries_of_one_quarter_at_once_email_once(storage, pools, tmp_path, openssh_server, link,
                                                          embedded_data, slow_relay, request):
    port, mailbox = slow_relay
    home = home_for(tmp_path / "round", openssh_server, link, port, embedded_data, storage, pools, request)
    sent = home.run(SENDING, Q4.partition_key)
    assert sent.returncode == 0, sent.output[-3000:]
    request = (openssh_server.from_folder / "End_txt_file.txt").read_bytes()
    answer = build_answer(submitted_ids(request), load_tcic(embedded_data / "tcic.duckdb"), Q4)
    (openssh_server.to_dfps_folder / "Dfps-missing-person-results.txt").write_bytes(answer.results)
    (openssh_server.to_dfps_folder / "Dfps-missing-person-counts.txt").write_bytes(answer.counts)

    runs = home.race([(RECEIVING, Q4.partition_key), (RECEIVING, Q4.partition_key)])
    assert all(r.returncode == 0 for r in runs), "".join(r.output[-3000:] for r in runs)
    assert len(read_mailbox(mailbox)) == 1
    logs = "".join(p.read_text() for p in (home.base / "logs" / "from_dps").iterdir())
    assert "not emailing again" in logs
