"""docs/operations.md's backup and restore commands ("Backup and restore"), run as written on a
site under a temporary root with a private PostgreSQL 15: the backup is 0600 in 0700 folders and
unreadable without the key; restored into a fresh root and an emptied database, the files (content,
modes, owners) and the rows are back.

What differs from a host, as in test_install.py: `--root` added to deploy/backup and deploy/restore
and the host paths moved under the root (/opt/dps-exchange/deploy is the checkout's deploy/),
`sudo` left out (the test is root), the `systemctl` lines not run (no systemd here), the
placeholders filled (the public key, the backup's stamp, the key's removable medium)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

from dps_assets_tests.support.postgres_server import PASSWORD, PostgresServer
from dps_assets_tests.support.systemd_units import REPO

OPERATIONS = REPO / "docs" / "operations.md"
SECRET = "warehouse-test-only-secret"
ROWS = [(1, "FY2026-Q4 submitted"), (2, "FY2026-Q4 emailed")]
BACKED_UP = ("etc/dps-exchange", "etc/systemd/system/dps-exchange-code.service.d", "var/lib/dps-exchange",
             "home/scripts")


def documented_commands() -> list[str]:
    section = OPERATIONS.read_text(encoding="utf-8").split("- **Backup and restore.**", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_the_docs_give_the_key_the_backup_and_the_restore():
    assert [shlex.split(line)[:2] for line in documented_commands()] == [
        ["age-keygen", "-o"], ["echo", "age1…"], ["sudo", "/opt/dps-exchange/deploy/backup"],
        ["sudo", "systemctl"], ["sudo", "/opt/dps-exchange/deploy/restore"], ["sudo", "systemctl"]]


def as_run_here(line: str, root: Path, fill: dict[str, str]) -> str:
    for placeholder, value in fill.items():
        line = line.replace(placeholder, value)
    line = re.sub(r"(/opt/dps-exchange/deploy/(backup|restore))", rf"\1 --root {root}", line)
    line = re.sub(r"(?<![\w/])/(etc|opt|var)/", f"{root}/\\1/", line)
    return line.replace("sudo ", "")


def run(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", line], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHON": sys.executable})
    assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
    return done


def write(path: Path, content: bytes, mode: int = 0o600) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_bytes(content)
    path.chmod(mode)


def make_site(root: Path, port: int) -> None:
    """What deploy/install and the exchange leave on a host, in small."""
    root.chmod(0o755)
    (root / "opt" / "dps-exchange").mkdir(parents=True)
    (root / "opt" / "dps-exchange" / "deploy").symlink_to(REPO / "deploy")
    etc = root / "etc" / "dps-exchange"
    env = (REPO / "deploy" / "dps-exchange.env.example").read_text().replace("DAGSTER_PG_PORT=5432",
                                                                             f"DAGSTER_PG_PORT={port}")
    write(etc / "dps-exchange.env", env.encode())
    write(etc / "dps_config.yml", (REPO / "dps_config.yml").read_bytes(), 0o640)
    write(etc / "credentials" / "DAGSTER_PG_PASSWORD", PASSWORD.encode() + b"\n")
    write(etc / "credentials" / "DPS_DB_PASSWORD", SECRET.encode() + b"\n")
    write(root / "etc/systemd/system/dps-exchange-code.service.d/exchange-secrets.conf", b"[Service]\n", 0o644)
    home = root / "var" / "lib" / "dps-exchange" / "dagster_home"
    write(home / "dagster.yaml", (REPO / "deploy" / "dagster.yaml").read_bytes())
    write(home / "storage" / "run-1" / "compute_logs" / "step.out", b"step output\n")
    batch = root / "home" / "scripts" / "dps_batch"
    write(batch / "archive" / "reports" / "FY2026_Q4" / "20260901T120000" / "end_export.xlsx", b"PK\x03\x04 workbook")
    write(batch / "archive" / "to_dps" / "FY2026_Q4" / "20260901T120000" / "DFPS_REQUEST.txt", b"child record line\n")
    write(batch / "logs" / "alerts.log", b"an alert\n")
    write(batch / "work" / "FY2026_Q4" / "export.csv", b"a working copy\n")
    write(batch / ".ssh" / "id_ed25519", b"-----BEGIN OPENSSH PRIVATE KEY-----\nstand-in\n")
    write(batch / ".ssh" / "known_hosts", b"sftp.dps.texas.gov ssh-ed25519 AAAA\n")
    for path in [batch, *batch.rglob("*"), home.parent, *home.parent.rglob("*")]:  # the service user's
        os.chown(path, 65534, 65534, follow_symlinks=False)


def tree(root: Path) -> dict[str, tuple[int, int, int, bytes | None]]:
    found = {}
    for top in BACKED_UP:
        for path in [root / top, *sorted((root / top).rglob("*"))]:
            info = path.lstat()
            found[str(path.relative_to(root))] = (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid,
                                                  path.read_bytes() if path.is_file() else None)
    return found


def query(postgres: PostgresServer, sql: str, database: str = "dagster") -> list[tuple[object, ...]]:
    connection = psycopg2.connect(host="127.0.0.1", port=postgres.port, user=postgres.user, password=PASSWORD,
                                  dbname=database)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall() if cursor.description else []
    connection.close()
    return rows


@dataclass
class Restored:
    first: Path
    second: Path
    backups: Path
    backup: Path
    workstation: Path
    postgres: PostgresServer


@pytest.fixture(scope="module")
def restored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Restored]:
    first, second = tmp_path_factory.mktemp("site"), tmp_path_factory.mktemp("new-site")
    workstation = tmp_path_factory.mktemp("workstation")
    with PostgresServer() as postgres:
        make_site(first, postgres.port)
        query(postgres, "create table ledger (id integer primary key, event text)")
        query(postgres, "insert into ledger values " + ", ".join(f"({i}, '{event}')" for i, event in ROWS))
        [keygen, recipients, backup, stop, restore, start] = documented_commands()
        public_key = run(keygen, workstation).stderr.split("Public key: ", 1)[1].strip()
        run(as_run_here(recipients, first, {"age1…": public_key}), workstation)
        run(as_run_here(backup, first, {}), workstation)
        backups = first / "var" / "backups" / "dps-exchange"
        [made] = list(backups.iterdir())
        # The new host: the backups copied to it, the key brought on its medium, the database empty.
        make_new = second / "opt" / "dps-exchange"
        make_new.mkdir(parents=True)
        (make_new / "deploy").symlink_to(REPO / "deploy")
        shutil.copytree(backups, second / "var" / "backups" / "dps-exchange")
        query(postgres, "drop database dagster", "postgres")
        query(postgres, "create database dagster", "postgres")
        run(as_run_here(restore, second, {"<stamp>": made.name,
                                          "/media/backup-key/": f"{workstation}/"}), workstation)
        yield Restored(first, second, backups, made, workstation, postgres)


def test_the_backup_is_private(restored):
    for folder in (restored.backups, restored.backup):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(path.name for path in restored.backup.iterdir()) == [
        "SHA256SUMS", "files.tar.age", "instance.pgdump.age"]
    for path in restored.backup.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for name in ("files.tar.age", "instance.pgdump.age"):
        content = (restored.backup / name).read_bytes()
        assert content.startswith(b"age-encryption.org/v1\n")
        for plain in (b"ustar", b"PGDMP", b"end_export.xlsx", b"DFPS_REQUEST", b"child record", b"ledger",
                      b"emailed", SECRET.encode(), PASSWORD.encode(), b"OPENSSH"):
            assert plain not in content, (name, plain)


def test_the_restore_puts_back_the_files_with_their_modes_and_owners(restored):
    before, after = tree(restored.first), tree(restored.second)
    assert "home/scripts/dps_batch/archive/reports/FY2026_Q4/20260901T120000/end_export.xlsx" in after
    assert "etc/dps-exchange/backup-recipients" in after
    assert "etc/systemd/system/dps-exchange-code.service.d/exchange-secrets.conf" in after
    assert after == before
    assert after["home/scripts/dps_batch/.ssh/id_ed25519"][:3] == (0o600, 65534, 65534)


def test_the_restore_puts_back_the_rows(restored):
    assert query(restored.postgres, "select id, event from ledger order by id") == ROWS


def test_a_changed_backup_or_another_key_is_refused(restored, tmp_path):
    restore = [REPO / "deploy" / "restore", "--root", tmp_path, "-i"]
    other_key = tmp_path / "other.key"
    subprocess.run(["age-keygen", "-o", other_key], check=True, capture_output=True)
    done = subprocess.run([*restore, other_key, restored.backup], capture_output=True, text=True,
                          env={**os.environ, "PYTHON": sys.executable})
    assert done.returncode == 1 and "age could not decrypt files.tar.age" in done.stderr, done.stderr
    changed = shutil.copytree(restored.backup, tmp_path / "changed")
    with (changed / "files.tar.age").open("r+b") as stream:
        stream.seek(-1, 2)
        stream.write(b"\0" if stream.read(1) != b"\0" else b"\1")
    done = subprocess.run([*restore, restored.workstation / "dps-exchange-backup.key", changed],
                          capture_output=True, text=True, env={**os.environ, "PYTHON": sys.executable})
    assert done.returncode == 1 and "is not the file the backup wrote" in done.stderr, done.stderr
    assert not (tmp_path / "etc").exists()


def test_the_newest_backups_are_kept(restored, tmp_path):
    backup = [restored.first / "opt" / "dps-exchange" / "deploy" / "backup", "--root", restored.first,
              "--to", tmp_path / "backups", "--keep", "2"]
    made = []
    for _ in range(3):
        done = subprocess.run(backup, capture_output=True, text=True, env={**os.environ, "PYTHON": sys.executable})
        assert done.returncode == 0, done.stderr
        made.append(done.stdout.split("\ninto ", 1)[1].split("\n", 1)[0])
    assert sorted(str(path) for path in (tmp_path / "backups").iterdir()) == made[1:]
