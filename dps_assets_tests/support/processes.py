"""Finding and waiting for the processes behind a loopback connection, from /proc: which sshd
child serves a client's TCP connection, its descendants, and waiting (on pidfds, not by
polling) until they are gone."""

from __future__ import annotations

import os
import select
import time
from pathlib import Path


def tcp_socket_inode(local_port: int, remote_port: int) -> str:
    """The inode of the IPv4 socket 127.0.0.1:local_port <-> 127.0.0.1:remote_port (/proc/net/tcp)."""
    loopback = "0100007F"  # 127.0.0.1 as the kernel prints it (host byte order)
    wanted = (f"{loopback}:{local_port:04X}", f"{loopback}:{remote_port:04X}")
    with open("/proc/net/tcp", encoding="ascii") as table:
        for line in list(table)[1:]:
            fields = line.split()
            if (fields[1], fields[2]) == wanted:
                return fields[9]
    raise RuntimeError(f"no TCP connection {wanted[0]} <-> {wanted[1]} in /proc/net/tcp")


def pids_holding(target: str) -> list[int]:
    """Processes with an open file descriptor whose link reads `target` (e.g. `socket:[123]`)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) == target for fd in (entry / "fd").iterdir()):
                pids.append(int(entry.name))
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue  # the process ended, or is not ours to look at
    return pids


def descendants(pid: int) -> list[int]:
    """Every process `pid` started, and theirs: the children of each of its threads (a child is
    listed under the thread that forked it, as a gRPC server's run workers are)."""
    children = []
    for children_file in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children += [int(c) for c in children_file.read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # the thread or the process ended
    return children + [d for c in children for d in descendants(c)]


def group_members(pgid: int) -> list[int]:
    """The processes of a process group (a unit's processes, as systemd's control group holds them)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:  # field 5, pgrp
                members.append(int(entry.name))
    return members


def wait_until_gone(pids: list[int], timeout_s: float) -> None:
    """Wait until every process in `pids` has died. A pidfd turns readable when its process has
    died, so this waits on the kernel: no polling, no sleeping."""
    deadline = time.monotonic() + timeout_s
    for pid in pids:
        try:
            watch = os.pidfd_open(pid)
        except ProcessLookupError:
            continue  # already gone
        try:
            if not select.select([watch], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise RuntimeError(f"sshd process {pid} still runs after {timeout_s} s")
        finally:
            os.close(watch)
