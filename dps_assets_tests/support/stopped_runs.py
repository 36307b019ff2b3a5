"""A sending run in a process of its own that stops at a chosen point of its upload, says so on
a pipe, and waits there to be SIGKILLed: what a worker that dies at that point leaves behind,
made deterministically (no timing, no sleeps). Its Dagster run stays STARTED in the instance,
as a killed worker's does until run monitoring notices.

The point is found on the real SFTP client (paramiko), in that process only; the upload itself
runs unchanged:
- `renamed`: the complete file has just been renamed onto its final name, and the run has not
  recorded the upload yet;
- `writing`: the first block of the file is on the server (the server has answered a request
  made after it), the rest is not sent yet.

    run = StoppedRun.start(home, "FY2026-Q4", "renamed", log_file)
    run.wait_until_stopped()
    run.kill()

`python -m dps_assets_tests.support.stopped_runs <point> <fd> <partition key>` is the process
(DAGSTER_HOME and DPS_CONFIG from the environment, as `ExchangeHome.env` sets them)."""

from __future__ import annotations

import os
import posixpath
import select
import signal
import subprocess
import sys
from pathlib import Path

from dps_assets_tests.support.racing_runs import REPO, ExchangeHome

STOPPED = b"stopped\n"


class StoppedRun:
    def __init__(self, process: subprocess.Popen, signals: int, log_file: Path):
        self.process, self._signals, self.log_file = process, signals, log_file

    @classmethod
    def start(cls, home: ExchangeHome, partition_key: str, point: str, log_file: Path) -> StoppedRun:
        signals, child_end = os.pipe()
        with open(log_file, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, point, str(child_end), partition_key],
                cwd=REPO, env=home.env, stdout=log, stderr=subprocess.STDOUT, pass_fds=(child_end,))
        os.close(child_end)  # the child's end only: EOF here once the child has gone
        return cls(process, signals, log_file)

    def wait_until_stopped(self, timeout_s: float = 120) -> None:
        """Return once the run has stopped at its point; fail if it ended or timed out first."""
        ready, _, _ = select.select([self._signals], [], [], timeout_s)
        said = os.read(self._signals, len(STOPPED)) if ready else b""
        if said != STOPPED:
            self.kill()
            tail = self.log_file.read_text(errors="replace")[-3000:]
            why = "ended" if ready else "timed out"
            raise AssertionError(f"the run never reached its stopping point ({why}):\n{tail}")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        os.close(self._signals)


# --- the run's own process --------------------------------------------------------------------


def _stop_here(fd: int) -> None:
    os.write(fd, STOPPED)
    while True:
        signal.pause()  # until SIGKILL


def _stop_at(point: str, fd: int, final_name: str) -> None:
    import paramiko

    if point == "renamed":
        for method in ("posix_rename", "rename"):
            real = getattr(paramiko.SFTPClient, method)

            def renamed(self, old: str, new: str, _real=real) -> None:
                _real(self, old, new)
                if posixpath.basename(new) == final_name:
                    _stop_here(fd)

            setattr(paramiko.SFTPClient, method, renamed)
    elif point == "writing":
        real_write = paramiko.SFTPFile.write

        def write(self, data) -> None:
            real_write(self, data)
            self.flush()
            self.stat()  # answered after every earlier request: the block is on the server
            _stop_here(fd)

        paramiko.SFTPFile.write = write
    else:
        raise ValueError(f"no stopping point {point!r}")


def main(point: str, fd: int, partition_key: str) -> None:
    from dagster import DagsterInstance, materialize

    from dps_assets.assets import sending
    from dps_assets.config.schema import load_config
    from dps_assets.resources import build_resources

    os.umask(0o077)  # as the code location does
    config = load_config(os.environ["DPS_CONFIG"])
    _stop_at(point, fd, config.export_layout.text_file_name)
    with DagsterInstance.get() as instance:
        materialize([sending.dps_export, sending.dps_export_files, sending.dps_submission],
                    partition_key=partition_key, resources=build_resources(config), instance=instance)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
