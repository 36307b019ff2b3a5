"""Which process runs a run, and whether it still does.

A run worker (the process that executes a run's steps) records who it is when it starts: its host,
the host's boot, its process id and the moment the kernel started it (in clock ticks since boot).
The four together name one process for ever: a process id reused after the worker died, or after
the host restarted, does not pass for the worker. Only the standard library: the launcher that
reads this back (instance.run_launcher) runs in the daemon, the record is made in the worker."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

PROC = Path("/proc")
BOOT_ID = PROC / "sys/kernel/random/boot_id"


class Liveness(Enum):
    ALIVE = "alive"
    GONE = "gone"
    ELSEWHERE = "elsewhere"  # on another host: this host cannot tell


@dataclass(frozen=True)
class WorkerIdentity:
    host: str
    boot_id: str
    pid: int
    start_ticks: int

    @classmethod
    def of_this_process(cls) -> WorkerIdentity:
        return cls(socket.gethostname(), _boot_id(), os.getpid(), _start_ticks(os.getpid()) or 0)

    def to_metadata(self) -> dict[str, str | int]:
        return {"worker_host": self.host, "worker_boot_id": self.boot_id, "worker_pid": self.pid,
                "worker_start_ticks": self.start_ticks}

    @classmethod
    def from_metadata(cls, metadata: dict[str, object]) -> WorkerIdentity | None:
        try:
            return cls(str(metadata["worker_host"]), str(metadata["worker_boot_id"]),
                       int(str(metadata["worker_pid"])), int(str(metadata["worker_start_ticks"])))
        except (KeyError, ValueError):
            return None

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host}"


@dataclass(frozen=True)
class WorkerState:
    liveness: Liveness
    why: str


def worker_state(worker: WorkerIdentity) -> WorkerState:
    """Whether `worker` still runs, as seen from this host."""
    if worker.host != socket.gethostname():
        return WorkerState(Liveness.ELSEWHERE, f"the run worker ({worker.describe()}) is on another host")
    if worker.boot_id != _boot_id():
        return WorkerState(Liveness.GONE, f"the run worker ({worker.describe()}) is gone: the host has "
                                          "restarted since it started")
    ticks = _start_ticks(worker.pid)
    if ticks is None:
        return WorkerState(Liveness.GONE, f"the run worker ({worker.describe()}) is gone: no such process")
    if ticks != worker.start_ticks:
        return WorkerState(Liveness.GONE, f"the run worker ({worker.describe()}) is gone: its process id now "
                                          "belongs to another process")
    if _state(worker.pid) in {"Z", "X"}:
        return WorkerState(Liveness.GONE, f"the run worker ({worker.describe()}) is gone: it has exited")
    return WorkerState(Liveness.ALIVE, f"the run worker ({worker.describe()}) is running")


def _boot_id() -> str:
    try:
        return BOOT_ID.read_text(encoding="ascii").strip()
    except OSError:
        return "unknown"


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (which may hold spaces and parentheses)."""
    try:
        text = (PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _start_ticks(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[19]) if fields and len(fields) > 19 else None  # field 22, starttime


def _state(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[0] if fields else None  # field 3, state
