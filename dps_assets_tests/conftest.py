"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from dagster import DagsterInstance, instance_for_test

from dps_assets.assets.partitions import update_quarter_list
from dps_assets.config.delivery import EmailConfig
from dps_assets.config.schema import DirectoriesConfig, ExchangeConfig, load_config
from dps_assets.embedded.warehouse import build_embedded_data
from dps_assets.instance.critical_section import INSTANCE_CONCURRENCY
from dps_assets.resources import build_mailer, build_resources
from dps_assets.resources.mailer import Mailer
from dps_assets.resources.sftp import SftpResource
from dps_assets_tests.support.servers import SSHD, OpenSshServer

# Fixtures defined in support modules, for every test: `small_disk` (a 200 KiB tmpfs).
pytest_plugins = ["dps_assets_tests.support.small_disk"]


# Modules whose tests share one expensive module-scoped deployment, some of them in order (the
# dead-workers module's last test runs the quarter its crashes left): each goes to one worker whole.
ONE_WORKER_MODULES = {
    "dps_assets_tests/end_to_end/test_dead_workers.py", "dps_assets_tests/end_to_end/test_end_to_end.py",
    "dps_assets_tests/end_to_end/test_privacy_sweep.py", "dps_assets_tests/end_to_end/test_service.py",
    "dps_assets_tests/end_to_end/test_service_health.py", "dps_assets_tests/deploy/test_install.py",
    "dps_assets_tests/core/workbooks/test_workbook_rendering.py", "dps_assets_tests/deploy/test_image.py",
}
# Started first, with the year: the longest on one worker (the image is built twice).
FIRST_MODULES = ("dps_assets_tests/end_to_end/test_year.py", "dps_assets_tests/deploy/test_image.py")


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the groups into the test ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first, and each module of ONE_WORKER_MODULES on one worker: `bin/test`
    hands the workers a test or a module at a time in this order (`--dist loadgroup
    --no-loadscope-reorder`), so the year and the other end-to-end tests start first and no worker
    is left alone with a long test at the end."""
    def weight(item: pytest.Item) -> int:
        if item.nodeid.startswith(FIRST_MODULES):
            return 0
        return 1 if item.get_closest_marker("e2e") else 2

    for item in items:
        module = item.nodeid.split("::", 1)[0]
        if module in ONE_WORKER_MODULES:
            item.add_marker(pytest.mark.xdist_group(module))
    items.sort(key=weight)


@pytest.fixture(scope="session")
def openssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenSshServer]:
    """The system's OpenSSH sshd on 127.0.0.1, public-key auth, for the whole test session.
    Fails (never skips) when sshd is not installed: the SFTP tests must run against it."""
    if not SSHD.is_file():
        pytest.fail(
            f"OpenSSH server not found at {SSHD}: the SFTP tests need a real sshd "
            "(on Debian/Ubuntu: apt-get install openssh-server)",
            pytrace=False,
        )
    with OpenSshServer(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@pytest.fixture(scope="session")
def undeleting_openssh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenSshServer]:
    """A second sshd, whose SFTP server denies posix-rename@openssh.com and every remove, as
    some managed servers do: an older file is moved aside for a plain rename, and stays there."""
    with OpenSshServer(tmp_path_factory.mktemp("sshd_no_remove"), sftp_options="-P posix-rename,remove") as server:
        yield server


@pytest.fixture
def sftp_resource(openssh_server: OpenSshServer) -> SftpResource:
    """An `SftpResource` for `openssh_server`, whose from_folder and TO_DFPS start out empty."""
    openssh_server.reset()
    return openssh_server.resource()


# --- the pipeline on the embedded warehouse ---------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 22)
FIRST_QUARTER = load_config(REPO / "dps_config.demo.yml").first_quarter  # the demo's go-live


@pytest.fixture(scope="session")
def embedded_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic warehouse and TCIC store (FY2025 to 2026-11-22), built once."""
    folder = tmp_path_factory.mktemp("data")
    build_embedded_data(folder, seed=11, first_fiscal_year=2025, last_day=TODAY, scale=0.05)
    return folder


@contextmanager
def exchange_instance(**kwargs) -> Iterator[DagsterInstance]:
    """A test instance whose partitions are the quarters from the demo's first one through those
    closed by TODAY, as the calendar sensor leaves them."""
    with instance_for_test(**kwargs) as instance:
        update_quarter_list(instance, FIRST_QUARTER, TODAY)
        yield instance


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    """An instance kept on disk under this test's folder (its compute logs can be read), with the
    quarters closed by TODAY."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    with exchange_instance(temp_dir=str(home)) as instance:
        yield instance


@pytest.fixture
def dagster_instance() -> Iterator[DagsterInstance]:
    """A SQLite instance with the pool limits every shipped instance configuration has."""
    with exchange_instance(overrides=INSTANCE_CONCURRENCY) as instance:
        yield instance


def demo_config_for(tmp_path: Path, embedded_data: Path) -> ExchangeConfig:
    """The demo configuration, pointed at the small warehouse and this test's own folders."""
    config = load_config(REPO / "dps_config.demo.yml")
    return config.model_copy(update={
        "database": config.database.model_copy(update={"duckdb_path": str(embedded_data / "caps.duckdb")}),
        "directories": DirectoriesConfig(archive_root=str(tmp_path / "archive"),
                                         log_root=str(tmp_path / "logs"), work_root=str(tmp_path / "work")),
    })


@pytest.fixture
def pipeline_resources(tmp_path: Path, embedded_data: Path, sftp_resource: SftpResource) -> dict:
    """Every resource as the demo configures it, on this test's folders, the small warehouse and
    the OpenSSH server."""
    resources = build_resources(demo_config_for(tmp_path, embedded_data))
    resources["sftp"] = sftp_resource
    return resources


@pytest.fixture
def smtp_mailbox(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """The embedded SMTP server on a free port: (port, mailbox folder)."""
    from dps_assets.embedded.smtp_server import start_smtp_server

    mailbox = tmp_path / "mail"
    with start_smtp_server(mailbox) as server:
        yield int(server.fields["port"]), mailbox


def loopback_mailer(port: int, timeout_s: float = 30) -> Mailer:
    """The mailer the email section configures for a plain SMTP relay on loopback `port`."""
    return build_mailer(EmailConfig(host="127.0.0.1", port=port, security="plain", timeout_s=timeout_s,
                                    sender="dps-exchange@test.invalid", recipients=["analysts@test.invalid"],
                                    operators=["operators@test.invalid"]))


@pytest.fixture
def receiving_resources(pipeline_resources: dict, smtp_mailbox) -> dict:
    port, _ = smtp_mailbox
    return {**pipeline_resources, "mailer": loopback_mailer(port)}
