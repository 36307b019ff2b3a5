"""The SFTP sensor's tick against OpenSSH's sshd (as the tests start it), evaluated as the daemon
evaluates it, with TO_DFPS empty and with 10,000 unrelated files in it; then many ticks in a row,
counting this process's open descriptors and sshd's live sessions before and after: a tick must
not grow with DPS's folder (goal: median ≤ 250 ms with 10,000 files) nor leak a connection.

    .venv/bin/python bench/bench_sensor_tick.py [--ticks 10000] [--sample 50]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT.parent))
from dagster import DagsterInstance, Definitions, build_sensor_context  # noqa: E402

from common import machine, median, spread  # noqa: E402
from dps_assets.automation.jobs import receive_from_dps_job  # noqa: E402
from dps_assets.automation.sensors import build_dps_files_sensor  # noqa: E402
from dps_assets.config.schema import load_config  # noqa: E402
from dps_assets.resources import build_resources  # noqa: E402
from dps_assets_tests.support.processes import descendants  # noqa: E402
from dps_assets_tests.support.servers import OpenSshServer  # noqa: E402

SENSOR = build_dps_files_sensor(receive_from_dps_job, poll_interval_s=60, running=True)
GOAL_MS = 250


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=10_000, help="ticks in a row for the leak count")
    parser.add_argument("--sample", type=int, default=50, help="ticks timed for each folder size")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as scratch, OpenSshServer(Path(scratch) / "sshd") as server, \
            DagsterInstance.ephemeral() as instance:
        config = load_config(ROOT.parent / "dps_config.demo.yml")
        resources = {**build_resources(config), "sftp": server.resource()}
        wanted = {k: resources[k] for k in ("sftp", "exchange_rules", "mailer", "operator_alerts")}
        definitions = Definitions(jobs=[receive_from_dps_job], sensors=[SENSOR], resources=resources)
        cursor = None

        def tick() -> float:
            nonlocal cursor
            context = build_sensor_context(instance=instance, cursor=cursor, definitions=definitions,
                                           resources=wanted)
            start = time.perf_counter()
            data = SENSOR.evaluate_tick(context)
            elapsed = time.perf_counter() - start
            assert data.skip_message and data.skip_message.startswith("waiting for "), data.skip_message
            cursor = data.cursor
            return elapsed

        tick()  # imports, first connection
        empty = [tick() for _ in range(args.sample)]
        for number in range(10_000):
            (server.to_dfps_folder / f"unrelated_{number:05}.txt").write_bytes(b"x")
        crowded = [tick() for _ in range(args.sample)]
        print(f"tick, TO_DFPS empty              median {median(empty) * 1000:6.0f} ms   "
              f"({spread([t * 1000 for t in empty])} ms)")
        print(f"tick, 10,000 unrelated files     median {median(crowded) * 1000:6.0f} ms   "
              f"({spread([t * 1000 for t in crowded])} ms)   goal ≤ {GOAL_MS} ms: "
              f"{'met' if median(crowded) * 1000 <= GOAL_MS else 'MISSED'}")

        server.wait_for_sessions_to_end()
        fds, sessions = open_descriptors(), len(descendants(server._process.pid))
        started = time.perf_counter()
        for done in range(1, args.ticks + 1):
            tick()
            if done % 1000 == 0:
                print(f"  {done} ticks, {open_descriptors()} descriptors open", flush=True)
        took = time.perf_counter() - started
        server.wait_for_sessions_to_end()
        log = server.log()
        print(f"{args.ticks} ticks in {took:.0f} s ({took / args.ticks * 1000:.0f} ms a tick): descriptors "
              f"{fds} -> {open_descriptors()}, sshd sessions {sessions} -> {len(descendants(server._process.pid))}, "
              f"'reset by peer' in sshd's last log lines: {log.count('reset by peer')}")


if __name__ == "__main__":
    main()
