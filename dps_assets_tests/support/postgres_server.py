"""A private PostgreSQL 15 cluster on 127.0.0.1 for the tests: Debian's server binaries, `initdb`
into a fresh folder, password (SCRAM) authentication, a free port, stopped at the end.

`initdb` refuses to run as root, so as root the cluster belongs to the `postgres` system user
(created by Debian's package) and its commands run through `runuser`."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from dps_assets.embedded.process import ReadyProcess, start_ready_process
from dps_assets_tests.support.servers import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
USER, PASSWORD, DATABASE = "dagster", "pg-test-only-password", "dagster"


class PostgresServer:
    """`user` is the cluster's superuser and `database` one it makes at start (`dagster` both,
    unless told: the instance's tests connect as it; the install's test makes the instance's
    roles and database itself, as a database host's administrator, with `database=None`)."""

    def __init__(self, user: str = USER, database: str | None = DATABASE) -> None:
        self.user, self.database = user, database
        self.port = 0
        self.folder = Path(tempfile.mkdtemp(prefix="dps-postgres-"))
        self.data = self.folder / "data"
        self._process: ReadyProcess | None = None
        self._as_user: list[str] = []
        if os.getuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *argv: str | Path) -> None:
        subprocess.run([*self._as_user, *map(str, argv)], check=True, capture_output=True, text=True,
                       cwd=self.folder, timeout=120)

    def start(self) -> PostgresServer:
        if not (PG_BIN / "initdb").is_file():
            raise RuntimeError(f"PostgreSQL 15 not found under {PG_BIN} (apt-get install postgresql)")
        password_file = self.folder / "password"
        password_file.write_text(PASSWORD + "\n")
        if self._as_user:
            shutil.chown(password_file, "postgres")
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", self.user, "--auth=scram-sha-256",
                  f"--pwfile={password_file}", "-E", "UTF8", "--no-instructions")
        password_file.unlink()
        for _attempt in range(3):  # another process may take the free port first
            self.port = free_port()
            try:
                self._process = start_ready_process(
                    [*self._as_user, PG_BIN / "postgres", "-D", self.data, "-p", str(self.port),
                     "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}",
                     "-c", "fsync=off", "-c", "max_connections=200"],
                    name="postgres", ready_pattern="database system is ready to accept connections",
                    ready_stream="stderr", timeout_s=60, cwd=self.folder)
                break
            except Exception as exc:
                if "Address already in use" not in str(exc):
                    raise
        if self.database:
            self.create_database(self.database)
        return self

    @property
    def env(self) -> dict[str, str]:
        """The variables deploy/dagster.yaml reads."""
        return {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(self.port),
                "DAGSTER_PG_DB": DATABASE, "DAGSTER_PG_USER": self.user, "DAGSTER_PG_PASSWORD": PASSWORD}

    def create_database(self, name: str) -> dict[str, str]:
        """A fresh database in the cluster; the environment that points deploy/dagster.yaml at it."""
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, password=PASSWORD,
                                      dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'create database "{name}"')
        connection.close()
        return {**self.env, "DAGSTER_PG_DB": name}

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
