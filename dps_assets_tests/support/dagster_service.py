"""The production service as the shipped systemd units run it: a gRPC code server, a webserver
for operators, a read-only webserver for analysts and a daemon, four processes on one
PostgreSQL-backed instance (deploy/dagster.yaml).

Each process is started from its unit's own `ExecStart` line, with only the install folder and
the ports replaced, so what the tests see listening is what the units would open; with the
environment and the credentials its unit gives it (support/systemd_units.py) from a site laid
out as the runbook says: the exchange's secrets (the `*_env` variables of dps_config.yml) only
for the code server, the instance's password for the others, the analysts' UI on the read-only
role made by deploy/postgres/readonly-role.sql."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from dps_assets.config.schema import load_config
from dps_assets.embedded.dagster_dev import DagsterDev
from dps_assets.embedded.process import ReadyProcess, start_ready_process
from dps_assets.instance.critical_section import POOLS
from dps_assets_tests.support.processes import descendants, group_members, wait_until_gone
from dps_assets_tests.support.servers import free_port
from dps_assets_tests.support.systemd_units import (
    CREDENTIALS,
    DEPLOY,
    ENVIRONMENT_FILE,
    READONLY_ENVIRONMENT_FILE,
    REPO,
    UNITS,
    Site,
    credentials_directory,
    process_start,
    sandboxed,
    unit_settings,
)

INSTALL = "/opt/dps-exchange"
SHIPPED_PORTS = {"4266": "code", "3000": "webserver", "3001": "readonly"}
READY = {  # what each process says once it serves
    "code": (r"Started Dagster code server", "stdout"),
    "webserver": (r"Serving dagster-webserver on", "stdout"),
    "readonly": (r"Serving dagster-webserver on", "stdout"),
    "daemon": (r"Instance is configured with the following daemons", "stdout"),
}
UNIT_OF = {"code": "dps-exchange-code.service", "webserver": "dps-exchange-webserver.service",
           "readonly": "dps-exchange-webserver-readonly.service", "daemon": "dps-exchange-daemon.service"}
PSQL = Path("/usr/lib/postgresql/15/bin/psql")
__all__ = ["REPO", "DagsterService", "listening_addresses", "unit_settings"]


def unit_umask(unit: str, units: Path = UNITS) -> int:
    return int(unit_settings(unit, units)["UMask"], 8)


def environment_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines of a shipped environment file (deploy/*.env.example)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


class DagsterService:
    """The four processes, started in the units' order; `home` holds deploy/dagster.yaml. `env`
    is everything the site holds by variable name (the instance's DAGSTER_PG_*, DPS_CONFIG and
    the exchange's secrets), and what an operator's command (`dg launch`) runs with.

    The units are the checkout's (deploy/systemd), the processes run from it with the test's
    virtualenv; support/installed_service.py starts those of a site deploy/install wrote."""

    units = UNITS  # the folder the units are read from
    cwd = REPO  # the processes' working directory

    def __init__(self, home: Path, env: Mapping[str, str]):
        self.scratch = home.parent
        self.home = home
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        (home / "dagster.yaml").write_text((DEPLOY / "dagster.yaml").read_text(encoding="utf-8"))
        self.ports = {name: str(free_port()) for name in SHIPPED_PORTS.values()}
        self.workspace = home / "workspace.yaml"
        self.workspace.write_text((DEPLOY / "workspace.yaml").read_text(encoding="utf-8")
                                  .replace("port: 4266", f"port: {self.ports['code']}"))
        self.env = {**env, "DAGSTER_HOME": str(home)}
        secret_names = load_config(self.env["DPS_CONFIG"]).secret_variables()
        self.exchange_secrets = {name: self.env[name] for name in secret_names}
        readonly = environment_file(DEPLOY / "webserver-readonly.env.example")
        self.readonly_role = (readonly["DAGSTER_PG_USER"], f"readonly-{secrets.token_hex(8)}")
        secret_names = {"DAGSTER_PG_PASSWORD", *self.exchange_secrets}
        self.site = Site(
            environment_files={ENVIRONMENT_FILE: {k: v for k, v in self.env.items() if k not in secret_names},
                               READONLY_ENVIRONMENT_FILE: readonly},
            credential_files={f"{CREDENTIALS}/{name}": self.env[name] for name in sorted(secret_names)}
            | {f"{CREDENTIALS}/DAGSTER_PG_READONLY_PASSWORD": self.readonly_role[1]})
        # The site's list of the exchange's secrets, for its configuration (the runbook's step).
        self.drop_ins = {"exchange-secrets.conf": "[Service]\n" + "".join(
            f"LoadCredential={name}:{CREDENTIALS}/{name}\n" for name in self.exchange_secrets)}
        self.processes: dict[str, ReadyProcess] = {}
        self.output: dict[str, list[str]] = {name: [] for name in UNIT_OF}  # of processes stopped
        self._readonly_role_made = False

    def command(self, name: str) -> list[str]:
        return self.unit_command(UNIT_OF[name])

    def unit_command(self, unit: str) -> list[str]:
        """The unit's `ExecStart` with this checkout's virtualenv, workspace and ports."""
        line = unit_settings(unit, self.units)["ExecStart"]
        line = line.replace(f"{INSTALL}/deploy/workspace.yaml", str(self.workspace))
        line = line.replace(f"{INSTALL}/.venv/bin/python ", f"{sys.executable} ")
        line = line.replace(f"{INSTALL}/.venv/bin/", f"{Path(sys.executable).parent}/")
        return shlex.split(self.free_ports(line))

    def free_ports(self, line: str) -> str:
        """The shipped ports of a command line replaced by the test's free ones."""
        for shipped, port_name in SHIPPED_PORTS.items():
            line = re.sub(rf"--port {shipped}\b", f"--port {self.ports[port_name]}", line)
        return line

    def set_pool_limits(self) -> None:
        """The install steps of docs/operations.md: each pool's limit set once, explicitly (which
        makes the instance's tables), and the analysts' read-only role."""
        dagster = Path(sys.executable).with_name("dagster")
        for pool in POOLS:
            subprocess.run([dagster, "instance", "concurrency", "set", pool, "1"], env=self.env, cwd=REPO,
                           check=True, capture_output=True, timeout=120)
        self.make_readonly_role()
        self._readonly_role_made = True

    def make_readonly_role(self) -> None:
        """deploy/postgres/readonly-role.sql as its header says to run it, the password on stdin."""
        env = self.env
        subprocess.run([PSQL, "--no-psqlrc", f"--host={env['DAGSTER_PG_HOST']}", f"--port={env['DAGSTER_PG_PORT']}",
                        f"--username={env['DAGSTER_PG_USER']}", f"--dbname={env['DAGSTER_PG_DB']}",
                        "--set=ON_ERROR_STOP=1", f"--set=owner={env['DAGSTER_PG_USER']}",
                        f"--set=readonly_role={self.readonly_role[0]}",
                        f"--file={DEPLOY / 'postgres' / 'readonly-role.sql'}"],
                       input=self.readonly_role[1] + "\n", text=True, check=True, capture_output=True, timeout=60,
                       env={"PGPASSWORD": env["DAGSTER_PG_PASSWORD"], "PATH": os.environ.get("PATH", "")})

    def start(self) -> DagsterService:
        if not self._readonly_role_made:
            self.set_pool_limits()
        try:
            for name in ("code", "webserver", "readonly", "daemon"):
                self.start_process(name)
        except BaseException:
            self.stop()
            raise
        return self

    def start_process(self, name: str) -> ReadyProcess:
        """One of the four processes, as systemd starts (or restarts) its unit."""
        pattern, stream = READY[name]
        argv, env = self.unit_start(UNIT_OF[name], self.drop_ins if name == "code" else None)
        self.processes[name] = start_ready_process(
            argv, name=f"dagster {name}", ready_pattern=pattern, ready_stream=stream, timeout_s=180, env=env,
            cwd=self.cwd, umask=unit_umask(UNIT_OF[name], self.units))
        return self.processes[name]

    def unit_start(self, unit: str, drop_ins: Mapping[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
        """The command line and the environment systemd would start `unit`'s process with, its
        credentials laid out in a fresh `$CREDENTIALS_DIRECTORY`."""
        start = process_start(unit, self.site, drop_ins, self.units)
        name = unit.removeprefix("dps-exchange-").removesuffix(".service")
        directory = credentials_directory(self.scratch / "run-credentials" / name, start.credentials)
        env = {**start.environment, "DAGSTER_HOME": str(self.home), "CREDENTIALS_DIRECTORY": str(directory)}
        return sandboxed(unit, self.unit_command(unit), self.units), env

    def output_of(self, name: str) -> list[str]:
        """What every process started as `name` wrote: its stdout, and the last lines of its stderr."""
        process = self.processes.get(name)
        live = [*process.ready_stream_lines(), process.stderr_tail()] if process else []
        return self.output[name] + live

    def _keep_output(self, name: str, process: ReadyProcess) -> None:
        self.output[name] += [*process.ready_stream_lines(), process.stderr_tail()]

    def kill(self, *names: str) -> list[int]:
        """SIGKILL to the named processes and everything they started (their run workers), as
        the kernel's out-of-memory killer or a lost host ends a unit's control group. Returns the
        process ids killed, once they are gone."""
        killed = [self.processes.pop(name) for name in names]
        pids = sorted({pid for process in killed
                       for pid in (process.pid, *descendants(process.pid), *group_members(process.pid))})
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_until_gone(pids, timeout_s=30)
        for name, process in zip(names, killed, strict=True):
            process.stop()  # reaps it and closes its output
            self._keep_output(name, process)
        return pids

    def stop(self) -> None:
        for name in ("daemon", "readonly", "webserver", "code"):
            process = self.processes.pop(name, None)
            if process is not None:
                process.stop(timeout_s=30)
                self._keep_output(name, process)

    def url_of(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    # Talking to the operators' webserver is what the demo does with `dagster dev`'s.
    @property
    def port(self) -> int:
        return int(self.ports["webserver"])

    @property
    def url(self) -> str:
        return self.url_of("webserver")

    client = DagsterDev.client
    submit = DagsterDev.submit
    wait_for_run = DagsterDev.wait_for_run

    def __enter__(self) -> DagsterService:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def listening_addresses(pid: int) -> set[str]:
    """The local addresses a process listens on (TCP, IPv4 and IPv6), from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name if hasattr(fd, "readlink") else ""
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                found.add(f"{_address(address)}:{int(port, 16)}")
    return found


def _address(hex_address: str) -> str:
    """/proc's hex address (host byte order per 32-bit word) as text; an IPv4-mapped IPv6
    address (gRPC binds `::ffff:127.0.0.1`) as its IPv4 address."""
    raw = bytes.fromhex(hex_address)
    packed = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.ip_address(packed)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address) if address.version == 4 else f"[{address}]"
