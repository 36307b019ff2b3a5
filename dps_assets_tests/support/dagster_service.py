"""The production service as the shipped systemd units run it: a gRPC code server, a webserver
for operators, a read-only webserver for analysts and a daemon, four processes on one
PostgreSQL-backed instance (deploy/dagster.yaml).

Each process is started from its unit's own `ExecStart` line, with only the install folder and
the ports replaced, so what the tests see listening is what the units would open."""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from dps_assets.embedded.dagster_dev import DagsterDev
from dps_assets.embedded.process import ReadyProcess, start_ready_process
from dps_assets.instance.critical_section import POOLS
from dps_assets_tests.support.processes import descendants, group_members, wait_until_gone
from dps_assets_tests.support.servers import free_port

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = DEPLOY / "systemd"
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


def unit_settings(unit: str) -> dict[str, str]:
    """`Key=value` lines of a unit's [Service] section."""
    text = (UNITS / unit).read_text(encoding="utf-8")
    service = text.split("[Service]", 1)[1].split("\n[", 1)[0]
    return dict(line.split("=", 1) for line in service.splitlines() if "=" in line and not line.startswith("#"))


def unit_umask(unit: str) -> int:
    return int(unit_settings(unit)["UMask"], 8)


class DagsterService:
    """The four processes, started in the units' order; `home` holds deploy/dagster.yaml."""

    def __init__(self, home: Path, env: Mapping[str, str]):
        self.home = home
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        (home / "dagster.yaml").write_text((DEPLOY / "dagster.yaml").read_text(encoding="utf-8"))
        self.ports = {name: str(free_port()) for name in SHIPPED_PORTS.values()}
        self.workspace = home / "workspace.yaml"
        self.workspace.write_text((DEPLOY / "workspace.yaml").read_text(encoding="utf-8")
                                  .replace("port: 4266", f"port: {self.ports['code']}"))
        self.env = {**env, "DAGSTER_HOME": str(home)}
        self.processes: dict[str, ReadyProcess] = {}

    def command(self, name: str) -> list[str]:
        line = unit_settings(UNIT_OF[name])["ExecStart"]
        line = line.replace(f"{INSTALL}/deploy/workspace.yaml", str(self.workspace))
        line = line.replace(f"{INSTALL}/.venv/bin/", f"{Path(sys.executable).parent}/")
        for shipped, port_name in SHIPPED_PORTS.items():
            line = re.sub(rf"--port {shipped}\b", f"--port {self.ports[port_name]}", line)
        return shlex.split(line)

    def set_pool_limits(self) -> None:
        """The install step of docs/operations.md: each pool's limit set once, explicitly."""
        dagster = Path(sys.executable).with_name("dagster")
        for pool in POOLS:
            subprocess.run([dagster, "instance", "concurrency", "set", pool, "1"], env=self.env, cwd=REPO,
                           check=True, capture_output=True, timeout=120)

    def start(self) -> DagsterService:
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
        self.processes[name] = start_ready_process(
            self.command(name), name=f"dagster {name}", ready_pattern=pattern, ready_stream=stream,
            timeout_s=180, env=self.env, cwd=REPO, umask=unit_umask(UNIT_OF[name]))
        return self.processes[name]

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
        for process in killed:
            process.stop()  # reaps it and closes its output
        return pids

    def stop(self) -> None:
        for name in ("daemon", "readonly", "webserver", "code"):
            process = self.processes.pop(name, None)
            if process is not None:
                process.stop(timeout_s=30)

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
