"""deploy/install as docs/operations.md ("Installing, once") runs it, into a temporary root
(`--root`): idempotent (a second run changes nothing and says so; what the operator wrote is
never overwritten; a loosened mode is tightened), files and folders with their modes and owners,
then the steps it leaves by hand run as it prints them (the database host's SQL and pg_hba lines
on a private PostgreSQL 15, `--finish`), and the four services started from the INSTALLED units,
virtualenv and site, until the code server, the daemon and both webservers answer.

The virtualenv is built with uv (`--uv`) from the same lock: pip builds the same one in about
three minutes here. The service user is `nobody` (`--user`): the test creates no user on the
machine, and the processes run as the test (root), as the other service tests do; dps-as-service
is checked switching to `nobody`. No sudo on these machines: the printed commands run without it
(the test is root)."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
import requests
from dagster import DagsterInstance

from dps_assets.instance.critical_section import POOLS
from dps_assets.service.installer.cli import POOLS as INSTALLER_POOLS
from dps_assets_tests.support.installed_service import InstalledService
from dps_assets_tests.support.postgres_server import PostgresServer
from dps_assets_tests.support.systemd_units import REPO, environ_of

pytestmark = pytest.mark.e2e
INSTALL = REPO / "deploy" / "install"
UV = Path(sys.executable).with_name("uv")
ADMIN_PASSWORD = "pg-test-only-password"  # PostgresServer's superuser's
SECRETS = {"DPS_DB_PASSWORD": "warehouse-test-only", "DPS_SFTP_KEY_PASSPHRASE": "key-test-only"}


@dataclass
class Installed:
    root: Path
    runs: list[subprocess.CompletedProcess[str]]  # the install's runs, in order
    trees: list[dict[str, tuple[int, int, int, bytes | None]]]  # the tree after each run
    finish: subprocess.CompletedProcess[str]
    service: InstalledService


def install(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    assert UV.is_file(), f"{UV} is missing: requirements.lock's uv (bin/bootstrap installs it)"
    done = subprocess.run([INSTALL, "--root", root, "--user", "nobody", "--uv", UV, *options], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHON": sys.executable})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def tree(root: Path) -> dict[str, tuple[int, int, int, bytes | None]]:
    """Every file and folder but the virtualenv: mode, owner, group, content."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[:3] == ("opt", "dps-exchange", ".venv"):
            continue
        info = path.lstat()
        found["/" + str(relative)] = (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid,
                                      path.read_bytes() if path.is_file() else None)
    return found


def rooted(root: Path, text: str) -> str:
    return re.sub(r"(?<![\w/])/(etc|opt|var|home)/", f"{root}/\\1/", text)


def set_line(path: Path, name: str, value: str) -> None:
    text = re.sub(rf"(?m)^{name}=.*$", f"{name}={value}", path.read_text())
    path.write_text(text)


@pytest.fixture(scope="module")
def installed() -> Iterator[Installed]:
    # Under /tmp, readable on the way down: dps-as-service switches to `nobody`, who must reach it.
    root = Path(tempfile.mkdtemp(prefix="dps-install-"))
    root.chmod(0o755)
    scratch = Path(tempfile.mkdtemp(prefix="dps-install-scratch-"))
    try:
        with PostgresServer(user="postgres", database=None) as postgres:
            runs = [install(root)]
            trees = [tree(root)]
            runs.append(install(root))
            trees.append(tree(root))
            # The operator's part: the database's port, the sensors stopped (no network reaches
            # DPS from here), the exchange's secrets; and a secret left readable by mistake.
            etc = root / "etc" / "dps-exchange"
            set_line(etc / "dps-exchange.env", "DAGSTER_PG_PORT", str(postgres.port))
            config = etc / "dps_config.yml"
            config.write_text(config.read_text().replace("  default_running: true", "  default_running: false"))
            for name, value in SECRETS.items():  # as put_secret writes them
                (etc / "credentials" / name).touch(mode=0o600)
                (etc / "credentials" / name).write_text(value + "\n")
            (etc / "credentials" / "DPS_DB_PASSWORD").chmod(0o644)
            (root / "etc" / "polkit-1" / "rules.d").mkdir(parents=True)  # polkitd installed meanwhile
            runs.append(install(root))
            trees.append(tree(root))
            run_database_steps(root, runs[-1].stdout, postgres)
            finish = subprocess.run([INSTALL, "--finish", "--root", root, "--user", "root"], capture_output=True,
                                    text=True, timeout=300)
            assert finish.returncode == 0, finish.stdout + finish.stderr
            with InstalledService(root, scratch) as service:
                yield Installed(root, runs, trees, finish, service)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)


def run_database_steps(root: Path, printed: str, postgres: PostgresServer) -> None:
    """The database host's step as the install printed it: its two psql commands (from this
    host, as the cluster's administrator), and its pg_hba.conf lines in place of the cluster's
    catch-all ones, so that the services connect through them alone."""
    commands = re.findall(r"(sudo cat \S+ \|\n.*?--file=\S+\.sql)", printed, re.DOTALL)
    assert len(commands) == 2, printed
    for command in commands:
        shell = rooted(root, command.replace("sudo ", "").replace("<an administrator>", "postgres"))
        done = subprocess.run(["sh", "-c", shell], capture_output=True, text=True, timeout=60,
                              env={"PATH": os.environ["PATH"], "PGPASSWORD": ADMIN_PASSWORD})
        assert done.returncode == 0, shell + done.stderr
    hba_lines = re.findall(r"(?m)^ +(host\s+\S+\s+\S+\s+127\.0\.0\.1/32\s+scram-sha-256)$", printed)
    assert len(hba_lines) == 2, printed
    hba = postgres.data / "pg_hba.conf"
    hba.write_text("\n".join([*(line.strip() for line in hba_lines),
                              "host all postgres 127.0.0.1/32 scram-sha-256", ""]))
    admin = psycopg2.connect(host="127.0.0.1", port=postgres.port, user="postgres", password=ADMIN_PASSWORD,
                             dbname="postgres")
    with admin, admin.cursor() as cursor:
        cursor.execute("select pg_reload_conf()")
    admin.close()


def test_the_first_run_installs_the_site_with_its_modes_and_owners(installed):
    found = installed.trees[0]
    nobody = pwd.getpwnam("nobody")
    service, root_service = (nobody.pw_uid, nobody.pw_gid), (0, nobody.pw_gid)

    def owner_mode(path: str) -> tuple[int, tuple[int, int]]:
        mode, uid, gid, _ = found[path]
        return mode, (uid, gid)

    assert owner_mode("/etc/dps-exchange") == (0o750, root_service)
    assert owner_mode("/etc/dps-exchange/dps_config.yml") == (0o640, root_service)
    for path in ("/etc/dps-exchange/dps-exchange.env", "/etc/dps-exchange/webserver-readonly.env",
                 "/etc/dps-exchange/credentials/DAGSTER_PG_PASSWORD",
                 "/etc/dps-exchange/credentials/DAGSTER_PG_READONLY_PASSWORD"):
        assert owner_mode(path) == (0o600, (0, 0)), path
    assert owner_mode("/etc/dps-exchange/credentials") == (0o700, (0, 0))
    for folder in ("/var/lib/dps-exchange", "/var/lib/dps-exchange/dagster_home", "/home/scripts/dps_batch",
                   "/home/scripts/dps_batch/archive", "/home/scripts/dps_batch/logs", "/home/scripts/dps_batch/work",
                   "/home/scripts/dps_batch/.ssh"):
        assert owner_mode(folder) == (0o700, service), folder
    assert owner_mode("/var/lib/dps-exchange/dagster_home/dagster.yaml") == (0o600, service)
    assert owner_mode("/home/scripts/dps_batch/.ssh/known_hosts") == (0o600, service)
    assert found["/home/scripts/dps_batch/.ssh/known_hosts"][3] == b""  # refuses every server until pinned
    # Every file of deploy/systemd/, drop-in folders included (other branches add timers there).
    shipped = [p.relative_to(REPO / "deploy" / "systemd") for p in (REPO / "deploy" / "systemd").rglob("*")]
    for relative in shipped:
        assert f"/etc/systemd/system/{relative}" in found, relative
    assert owner_mode("/etc/systemd/system/dps-exchange-code.service") == (0o644, (0, 0))
    assert found["/opt/dps-exchange/deploy/workspace.yaml"][3] == (REPO / "deploy" / "workspace.yaml").read_bytes()
    assert owner_mode("/opt/dps-exchange/deploy/install")[0] == 0o755
    assert not any(path.startswith("/opt/dps-exchange/dps_assets") for path in found)  # the code is in the venv
    passwords = {found[f"/etc/dps-exchange/credentials/{name}"][3]
                 for name in ("DAGSTER_PG_PASSWORD", "DAGSTER_PG_READONLY_PASSWORD")}
    assert len(passwords) == 2 and all(len(p or b"") > 40 for p in passwords)  # random, not a placeholder


def test_a_second_run_changes_nothing_and_says_so(installed):
    first, second = installed.runs[:2]
    assert "change(s)." in first.stdout
    assert "Nothing changed" in second.stdout
    assert installed.trees[1] == installed.trees[0]


def test_what_the_operator_wrote_is_kept_and_a_loosened_secret_is_tightened(installed):
    third, before, after = installed.runs[2], installed.trees[1], installed.trees[2]
    assert "2 change(s)." in third.stdout and "mode 0600: /etc/dps-exchange/credentials/DPS_DB_PASSWORD" in third.stdout
    etc = installed.root / "etc" / "dps-exchange"
    assert f"DAGSTER_PG_PORT={installed.service.env['DAGSTER_PG_PORT']}" in (etc / "dps-exchange.env").read_text()
    assert "default_running: false" in (etc / "dps_config.yml").read_text()
    for name, value in SECRETS.items():
        assert (etc / "credentials" / name).read_text() == value + "\n"
        assert stat.S_IMODE((etc / "credentials" / name).stat().st_mode) == 0o600
    for name in ("DAGSTER_PG_PASSWORD", "DAGSTER_PG_READONLY_PASSWORD"):
        path = f"/etc/dps-exchange/credentials/{name}"
        assert after[path] == before[path]  # not made again
    # Filled, the secrets are no longer asked for.
    assert "put_secret DPS_DB_PASSWORD" in installed.runs[1].stdout
    assert "put_secret DPS_DB_PASSWORD" not in third.stdout


def test_the_health_checks_polkit_rule_is_installed_once_polkitd_is_there(installed):
    rule = "/etc/polkit-1/rules.d/50-dps-exchange-health.rules"
    assert rule not in installed.trees[1]
    assert "polkitd is not installed" in installed.runs[1].stdout  # said, with the command
    assert "sudo apt-get install polkitd" in installed.runs[1].stdout
    assert installed.trees[2][rule][3] == (REPO / "deploy" / "polkit" / "50-dps-exchange-health.rules").read_bytes()
    assert installed.trees[2][rule][0] == 0o644
    assert "polkitd is not installed" not in installed.runs[2].stdout


def test_finish_sets_the_pools_limits_as_the_daemons_unit_would(installed):
    assert INSTALLER_POOLS == POOLS
    assert "The pools' limits are set" in installed.finish.stdout
    env = installed.service.env
    with pytest.MonkeyPatch.context() as patch:
        for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_DB", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD"):
            patch.setenv(name, env[name])  # what the installed dagster.yaml reads
        with DagsterInstance.from_config(str(installed.service.home)) as instance:
            for pool in POOLS:
                assert instance.event_log_storage.get_concurrency_info(pool).slot_count == 1, pool


def test_the_services_answer_from_the_installed_units(installed):
    service = installed.service
    for name in ("webserver", "readonly"):
        info = requests.get(f"{service.url_of(name)}/server_info", timeout=60).json()
        assert "dagster_webserver_version" in info, name
    query = "{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError { __typename } } } } }"
    answer = requests.post(f"{service.url}/graphql", json={"query": query}, timeout=60).json()
    [location] = answer["data"]["workspaceOrError"]["locationEntries"]
    assert (location["name"], location["locationOrLoadError"]["__typename"]) == ("dps_assets", "RepositoryLocation")
    for name in ("code", "webserver", "readonly", "daemon"):
        process = service.processes[name]
        assert process.process.poll() is None, name
        command = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert command[1].decode().startswith(str(installed.root / "opt" / "dps-exchange" / ".venv")), command
    assert environ_of(service.processes["code"].pid)["DPS_DB_PASSWORD"] == SECRETS["DPS_DB_PASSWORD"]
    assert "DPS_DB_PASSWORD" not in environ_of(service.processes["webserver"].pid)


def test_the_read_only_role_made_before_the_tables_reads_them_and_changes_nothing(installed):
    env, (user, password) = installed.service.env, installed.service.readonly_role
    connection = psycopg2.connect(host="127.0.0.1", port=env["DAGSTER_PG_PORT"], dbname=env["DAGSTER_PG_DB"],
                                  user=user, password=password)
    try:
        with connection.cursor() as cursor:
            cursor.execute("select count(*) from concurrency_limits")
            assert cursor.fetchone() == (len(POOLS),)
            with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
                cursor.execute("delete from runs")
    finally:
        connection.close()


def test_dps_as_service_runs_a_command_as_the_units_user_with_its_umask_environment_and_credentials(installed):
    root = installed.root
    as_service = root / "opt" / "dps-exchange" / ".venv" / "bin" / "dps-as-service"
    script = 'id -u; umask; pwd; printf "%s\\n" "$DAGSTER_PG_USER" "$DAGSTER_PG_PASSWORD" "${CALLER_ONLY:-unset}"'
    done = subprocess.run([as_service, "--root", root, "--user", "nobody", "webserver-readonly", "sh", "-c", script],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "CALLER_ONLY": "x"})
    assert done.returncode == 0, done.stderr
    uid, umask, directory, user, password, caller = done.stdout.splitlines()
    assert (int(uid), umask, directory) == (pwd.getpwnam("nobody").pw_uid, "0077", str(root / "opt" / "dps-exchange"))
    assert (user, password) == installed.service.readonly_role
    assert caller == "unset"  # none of the caller's environment
    refused = subprocess.run([as_service, "--user", "nobody", "code", "true"], capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode != 0 and "--user is for a site installed under --root" in refused.stderr


def test_the_documented_database_step_is_what_the_install_prints_for_the_shipped_site(installed):
    """docs/operations.md ("Installing, once", step 3) shows the commands and pg_hba.conf lines
    the install prints for the shipped environment files (the second run, before the test's edits)."""
    def words(text: str) -> str:
        return " ".join(text.replace("\\\n", " ").split())

    printed = installed.runs[1].stdout
    section = (REPO / "docs" / "operations.md").read_text(encoding="utf-8").split("### Installing, once\n", 1)[1]
    documented = re.findall(r"(sudo cat \S+ \|\n.*?--file=\S+\.sql)", section, re.DOTALL)
    assert [words(c) for c in documented] == [words(c) for c in re.findall(
        r"(sudo cat \S+ \|\n.*?--file=\S+\.sql)", printed, re.DOTALL)]
    hba = re.findall(r"(?m)^ *(host\s+dagster\s+\S+\s+127\.0\.0\.1/32\s+scram-sha-256)$", section)
    assert [words(line) for line in hba] == [words(line) for line in re.findall(
        r"(?m)^ *(host\s+dagster\s+\S+\s+127\.0\.0\.1/32\s+scram-sha-256)$", printed)]
    assert len(hba) == 2
    for command in ("sudo deploy/install ", "sudo deploy/install --finish"):
        assert command in section
