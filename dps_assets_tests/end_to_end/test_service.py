"""The production service for real: PostgreSQL, a gRPC code server, the operators' webserver, the
analysts' read-only webserver and the daemon as separate processes, started from the shipped
systemd units and instance file, running a whole quarter on the embedded stack (sensor
included), then restarted: the ledger, the sensor's cursor and its run keys survive."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import requests
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from dps_assets.assets.dps_fetch import file_tag
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.embedded.demo import run_quarter
from dps_assets.embedded.stack import EmbeddedStack, StackLayout
from dps_assets.instance.ledger import recorded_submissions
from dps_assets_tests.conftest import TODAY
from dps_assets_tests.support.dagster_service import DagsterService, listening_addresses
from dps_assets_tests.support.e2e_stack import stack_config, stack_with_data
from dps_assets_tests.support.postgres_server import PostgresServer
from dps_assets_tests.support.systemd_units import environ_of

pytestmark = pytest.mark.e2e
QUARTER = FiscalQuarter.latest_closed(TODAY)
PASSWORD = "service-test-only-password"


class Deployment:
    def __init__(self, layout: StackLayout, service: DagsterService, env: dict[str, str]):
        self.layout, self.service, self.env = layout, service, env


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, embedded_data: Path) -> Iterator[Deployment]:
    layout, settings = stack_with_data(tmp_path_factory.mktemp("service"), embedded_data, PASSWORD, TODAY)
    with PostgresServer() as postgres, EmbeddedStack(layout, settings) as stack, pytest.MonkeyPatch.context() as env:
        config = stack_config(layout, stack)
        variables = {**postgres.env, "DPS_CONFIG": str(config), "DPS_SFTP_PASSWORD": PASSWORD}
        for name, value in variables.items():
            env.setenv(name, value)  # this process reads the same instance
        service = DagsterService(layout.base / "dagster_home", variables)
        env.setenv("DAGSTER_HOME", str(service.home))
        service.set_pool_limits()
        with service:
            yield Deployment(layout, service, variables)


def test_the_units_listen_on_loopback_only(deployment):
    service = deployment.service
    for name in ("code", "webserver", "readonly"):
        addresses = listening_addresses(service.processes[name].pid)
        assert addresses == {f"127.0.0.1:{service.ports[name]}"}, name
    assert listening_addresses(service.processes["daemon"].pid) == set()


def test_only_the_code_server_holds_the_exchanges_secrets(deployment):
    """What another process of the service's user would read in /proc/<pid>/environ."""
    service = deployment.service
    exchange = service.exchange_secrets
    assert exchange == {"DPS_SFTP_PASSWORD": PASSWORD}  # the test configuration's one secret
    instance_password, readonly_password = deployment.env["DAGSTER_PG_PASSWORD"], service.readonly_role[1]
    held = {name: environ_of(process.pid) for name, process in service.processes.items()}

    def values(environ: dict[str, str]) -> set[str]:
        return {value for value in (*exchange.values(), instance_password, readonly_password)
                if value in "\0".join(f"{k}={v}" for k, v in environ.items())}

    assert values(held["code"]) == {*exchange.values(), instance_password}  # runs and sensors start here
    assert values(held["daemon"]) == {instance_password}
    assert values(held["webserver"]) == {instance_password}
    assert values(held["readonly"]) == {readonly_password}
    assert held["readonly"]["DAGSTER_PG_USER"] == service.readonly_role[0]
    for name in ("daemon", "webserver", "readonly"):
        assert set(held[name]) & set(exchange) == set(), name


def test_the_analysts_ui_reads_the_instance_as_a_role_that_cannot_change_it(deployment):
    service = deployment.service
    answer = requests.post(f"{service.url_of('readonly')}/graphql", timeout=60,
                           json={"query": "{ runsOrError { __typename ... on Runs { results { runId } } } }"}).json()
    assert answer["data"]["runsOrError"]["__typename"] == "Runs"
    env = deployment.env
    connection = psycopg2.connect(host=env["DAGSTER_PG_HOST"], port=env["DAGSTER_PG_PORT"], dbname=env["DAGSTER_PG_DB"],
                                  user=service.readonly_role[0], password=service.readonly_role[1])
    try:
        with connection.cursor() as cursor:
            cursor.execute("select count(*) from runs")
            with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
                cursor.execute("delete from runs")
        connection.rollback()
        connection.set_session(readonly=False)
        with connection.cursor() as cursor:  # even outside a read-only transaction: no privilege
            cursor.execute("set transaction read write")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute("delete from runs")
    finally:
        connection.close()


LAUNCH = """mutation {
  launchPipelineExecution(executionParams: {
    selector: {repositoryLocationName: "dps_assets", repositoryName: "__repository__", pipelineName: "send_to_dps"},
    executionMetadata: {tags: [{key: "dagster/partition", value: "%s"}]}
  }) { __typename ... on PythonError { message } ... on UnauthorizedError { message } }
}"""


def test_the_read_only_webserver_refuses_to_launch_a_run(deployment):
    service = deployment.service
    answer = requests.post(f"{service.url_of('readonly')}/graphql",
                           json={"query": LAUNCH % QUARTER.partition_key}, timeout=60).json()
    assert answer["data"]["launchPipelineExecution"]["__typename"] == "UnauthorizedError"
    with DagsterInstance.get() as instance:
        assert instance.get_runs(RunsFilter(job_name="send_to_dps")) == []


def test_a_whole_quarter_runs_on_the_service_and_survives_a_restart(deployment):
    layout, service = deployment.layout, deployment.service
    outcome = run_quarter(layout, service, QUARTER, timeout_s=600)
    assert len(outcome.emails) == 1

    with DagsterInstance.get() as instance:
        submissions = recorded_submissions(instance)
        state = _sensor_state(instance)
        runs_before = _exchange_runs(instance)
        keyed = [r for r in instance.get_runs(RunsFilter(job_name="receive_from_dps")) if "dagster/run_key" in r.tags]
    assert [s.quarter for s in submissions] == [QUARTER] and len(keyed) == 1

    service.stop()
    service.start()
    with DagsterInstance.get() as instance:
        assert recorded_submissions(instance) == submissions
        assert _sensor_state(instance).instigator_data.cursor == state.instigator_data.cursor
        # DPS's files put back exactly as the sensor saw them (size and mtime from the run's
        # tags): the sensor ticks on and launches nothing (its cursor and the run keys survived).
        for name in ("Dfps-missing-person-results.txt", "Dfps-missing-person-counts.txt"):
            archived = next(layout.base.glob(f"archive/from_dps/{QUARTER.tag}/*/{name}"))
            size, mtime = (int(v) for v in keyed[0].tags[file_tag(name)].split(":"))
            assert archived.stat().st_size == size
            target = layout.sftp_root / "TO_DFPS" / name
            shutil.copyfile(archived, target)
            os.utime(target, (mtime, mtime))
        ticks = len(_ticks(instance))
        deadline = time.monotonic() + 120
        while len(_ticks(instance)) < ticks + 3 and time.monotonic() < deadline:
            time.sleep(1)
        assert len(_ticks(instance)) >= ticks + 3, "the sensor did not tick after the restart"
        assert _exchange_runs(instance) == runs_before
        assert all(r.status == DagsterRunStatus.SUCCESS for r in instance.get_runs())


def test_no_process_wrote_a_colour_code_in_the_whole_quarter(deployment):
    """Dagster colours its log lines unless told otherwise; in the journal that is noise (the
    daemon wrote 424 escape sequences before the units said --log-format json)."""
    service = deployment.service
    for name in ("code", "webserver", "readonly", "daemon"):
        output = "".join(service.output_of(name))
        assert '"event": ' in output, name  # its log lines were read (JSON, as the units ask)
        assert "\x1b" not in output, name


def _sensor_state(instance: DagsterInstance):
    [state] = [s for s in instance.all_instigator_state() if s.name == "dps_files_sensor"]
    return state


def _ticks(instance: DagsterInstance):
    state = _sensor_state(instance)
    return instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1000)


def _exchange_runs(instance: DagsterInstance) -> set[str]:
    """The quarter's runs: those of the sending and receiving halves (the history's refresh, which
    its own sensor asks for a minute after the delivery, may come either side of the restart)."""
    return {r.run_id for r in instance.get_runs() if r.job_name != "refresh_quarterly_history"}
