"""`systemctl restart --no-block UNIT` for the tests, which have no systemd: the health check's
`health.restart_command` runs this instead, and it restarts the test's own process of the unit
as systemd would, for real.

    python stand_in_systemctl.py UNITS_FOLDER restart --no-block UNIT

UNITS_FOLDER holds, per unit, `UNIT.json` (how its process starts: argv, env, cwd, umask, written
by the test from the unit's ExecStart, environment and credentials) and `UNIT.pid` (its process
now). The old process gets SIGTERM and SIGCONT (a stopped process receives the SIGTERM only once
continued: systemd sends both), then SIGKILL with whatever is left of its process group after
20 s; the new process is started in its own session with its output in `UNIT.log`, and this
returns at once, as `--no-block` does: a process that fails to start is seen by the next
check. Each request is appended to `requests.log`.

Run as a script: it imports nothing of the project."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

STOP_TIMEOUT_S = 20


def signal_quietly(pid: int, signum: int, group: bool = False) -> None:
    try:
        (os.killpg if group else os.kill)(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def stop(pid: int) -> None:
    try:
        watch = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        signal_quietly(pid, signal.SIGTERM)
        signal_quietly(pid, signal.SIGCONT)
        exited = select.select([watch], [], [], STOP_TIMEOUT_S)[0]
        if not exited:
            signal_quietly(pid, signal.SIGKILL)
            select.select([watch], [], [], STOP_TIMEOUT_S)
    finally:
        os.close(watch)
    signal_quietly(pid, signal.SIGKILL, group=True)  # what is left of its process group (its control group)


def restart(folder: Path, unit: str) -> None:
    spec = json.loads((folder / f"{unit}.json").read_text(encoding="utf-8"))
    pid_file = folder / f"{unit}.pid"
    if pid_file.exists():
        stop(int(pid_file.read_text()))
    with open(folder / f"{unit}.log", "ab") as log:
        process = subprocess.Popen(spec["argv"], env=spec["env"], cwd=spec["cwd"], umask=spec["umask"],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    pid_file.write_text(str(process.pid))


def main(argv: list[str]) -> int:
    folder, verb, *options, unit = argv
    if verb != "restart" or options != ["--no-block"]:
        print(f"stand_in_systemctl: only `restart --no-block UNIT`, not {argv[1:]}", file=sys.stderr)
        return 2
    folder_path = Path(folder)
    with open(folder_path / "requests.log", "a", encoding="utf-8") as requests:
        requests.write(f"{time.time():.3f} restart {unit}\n")
    if not (folder_path / f"{unit}.json").exists():
        print(f"Failed to restart {unit}: Unit {unit} not found.", file=sys.stderr)
        return 5
    restart(folder_path, unit)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
