"""DPS's answer complete on the SFTP server -> the reports' email accepted by the SMTP server,
through a real daemon: `dagster dev` (webserver, daemon, code server) on a fresh DAGSTER_HOME
with the demo's instance settings, the embedded SFTP and SMTP servers, the demo configuration.

For each quarter it launches the sending half, takes the request off the server as DPS would,
writes DPS's two files complete (each written aside and renamed into TO_DFPS) and times from the
moment both are there to the moment the email's .eml exists in the SMTP server's mailbox (the
server writes it before it answers 250). The receiving run's own events say where the time went:
the sensor (its two-poll stability rule), the run queue (the daemon's dequeue interval), the
run worker's start (a new process importing Dagster and the code location), the steps.

    .venv/bin/python bench/bench_answer_latency.py [--quarters 3] [--poll-interval-s 5]"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from common import REPO, bench_stack, machine, median, spread
from dps_assets.assets.partitions import fiscal_quarter_partitions
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.privacy.private_files import write_private
from dps_assets.embedded.dagster_dev import LOCATION, DagsterDev, free_port
from dps_assets.embedded.simulated_dps import COUNTS_NAME, RESULTS_NAME, build_answer, load_tcic, submitted_ids
from dps_assets.embedded.warehouse import TCIC_FILE

VARIANT_WORKSPACE = f"""load_from:
  - python_file:
      relative_path: {Path(__file__).resolve().parent / 'latency_variant_location.py'}
      location_name: dps_assets
      working_directory: {REPO}
"""
QUARTERS = [FiscalQuarter(2026, 4), FiscalQuarter(2026, 3), FiscalQuarter(2026, 2), FiscalQuarter(2026, 1),
            FiscalQuarter(2025, 4)]


def wait_for(condition, timeout_s: float, what: str, every_s: float = 0.05):
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout_s:g} s")
        time.sleep(every_s)


def drop_answer(sftp_root: Path, quarter: FiscalQuarter, entries) -> float:
    """DPS's part: take the request, write both files complete; returns when both are there."""
    request = sftp_root / "from_folder" / "End_txt_file.txt"
    ids = submitted_ids(request.read_bytes())
    request.unlink()
    answer = build_answer(ids, entries, quarter)
    aside = sftp_root / ".dps-writing"
    aside.mkdir(mode=0o700, exist_ok=True)
    for name, data in ((RESULTS_NAME, answer.results), (COUNTS_NAME, answer.counts)):
        write_private(aside / name, data)
    for name in (RESULTS_NAME, COUNTS_NAME):
        os.replace(aside / name, sftp_root / "TO_DFPS" / name)
    return time.time()


def new_email(mailbox: Path, known: set[str]) -> Path | None:
    found = [p for p in mailbox.glob("*.eml") if p.name not in known] if mailbox.is_dir() else []
    return found[0] if found else None


def receiving_run(instance: DagsterInstance, quarter: FiscalQuarter):
    runs = instance.get_runs(RunsFilter(job_name="receive_from_dps",
                                        tags={"dagster/partition": quarter.partition_key}))
    return runs[0] if runs else None


def run_ended(instance: DagsterInstance, run_id: str) -> bool:
    return instance.get_run_by_id(run_id).status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE)


TICKS_QUERY = ("query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) { ... on Sensor {"
               " sensorState { ticks(limit: 20) { timestamp endTimestamp status } } } } }")


def sensor_ticks(dagster: DagsterDev, after: float, before: float) -> list[tuple[float, float, str]]:
    """(start, end, status) of dps_files_sensor's ticks that began between `after` and `before`."""
    selector = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__",
                "sensorName": "dps_files_sensor"}
    body = json.dumps({"query": TICKS_QUERY, "variables": {"s": selector}}).encode()
    request = urllib.request.Request(f"{dagster.url}/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        ticks = json.load(response)["data"]["sensorOrError"]["sensorState"]["ticks"]
    return sorted((t["timestamp"], t["endTimestamp"] or t["timestamp"], t["status"]) for t in ticks
                  if after - 15 <= t["timestamp"] <= before)


def describe_ticks(ticks: list[tuple[float, float, str]], files_at: float) -> str:
    return ", ".join(f"{start - files_at:+.1f} s ({end - start:.1f} s, {status})" for start, end, status in ticks)


def breakdown(instance: DagsterInstance, run_id: str, files_at: float, emailed_at: float) -> dict[str, float]:
    """Seconds spent in each stage, from the run's record and events."""
    record = instance.get_run_record_by_id(run_id)
    created = record.create_timestamp.timestamp()
    moments: dict[str, float] = {}
    steps: list[tuple[str, float, float]] = []
    started: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        kind = event.event_type
        if kind == DagsterEventType.RUN_STARTING:  # the run queue's daemon launched it
            moments.setdefault("starting", entry.timestamp)
        elif kind == DagsterEventType.RUN_START:
            moments.setdefault("started", entry.timestamp)
        elif kind == DagsterEventType.STEP_START:
            started[entry.step_key] = entry.timestamp
        elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            steps.append((entry.step_key, started.get(entry.step_key, entry.timestamp), entry.timestamp))
    first_step = min((s for _, s, _ in steps), default=emailed_at)
    return {
        "sensor (files complete -> run created)": created - files_at,
        "queue (created -> launched by the daemon)": moments.get("starting", created) - created,
        "launch (launched -> run worker started)": moments.get("started", created) - moments.get("starting", created),
        "worker start -> first step": first_step - moments.get("started", first_step),
        "steps until the email was accepted": emailed_at - first_step,
        "step time (sum of steps' own durations)": sum(end - start for _, start, end in steps),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarters", type=int, default=3, help="quarters sent and answered, one after another")
    parser.add_argument("--poll-interval-s", type=int, default=5, help="the sensor's interval (sensor.poll_interval_s)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--sensor-interval-less-one", action="store_true",
                        help="try the variant location whose SFTP sensor's minimum interval is one second less "
                        "(bench/latency_variant_location.py)")
    args = parser.parse_args()
    print(f"machine: {machine()}; scale {args.scale:g}; sensor interval {args.poll_interval_s} s"
          + ("; the sensor's minimum interval one second less" if args.sensor_interval_less_one else ""), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-answer-") as base, \
            bench_stack(Path(base) / "stack", args.scale, poll_interval_s=args.poll_interval_s) as stack:
        entries = load_tcic(stack.data / TCIC_FILE)
        env = {"DPS_CONFIG": str(stack.config_path), "DPS_SFTP_PASSWORD": stack.password}
        home = Path(base) / "dagster_home"
        latencies, stages = [], []
        workspace = REPO / "workspace.yaml"
        if args.sensor_interval_less_one:
            workspace = Path(base) / "workspace.yaml"
            workspace.write_text(VARIANT_WORKSPACE, encoding="utf-8")
        with (DagsterDev(home, env, port=free_port(), workspace=workspace) as dagster,
              DagsterInstance.from_config(str(home)) as instance):
            instance.add_dynamic_partitions(fiscal_quarter_partitions.name,
                                            [q.partition_key for q in QUARTERS[:args.quarters]
                                             if not instance.has_dynamic_partition(fiscal_quarter_partitions.name,
                                                                                   q.partition_key)])
            for quarter in QUARTERS[:args.quarters]:
                send = dagster.submit("send_to_dps", quarter.partition_key)
                if dagster.wait_for_run(send, 600) != "SUCCESS":
                    raise SystemExit(f"the sending run of {quarter.label} did not succeed: {dagster.url}/runs/{send}")
                known = {p.name for p in stack.mailbox.glob("*.eml")} if stack.mailbox.is_dir() else set()
                files_at = drop_answer(stack.sftp_root, quarter, entries)
                email = wait_for(partial(new_email, stack.mailbox, known), 600, f"the email of {quarter.label}")
                emailed_at = email.stat().st_mtime
                run = wait_for(partial(receiving_run, instance, quarter), 60, "the receiving run")
                wait_for(partial(run_ended, instance, run.run_id), 600, "the receiving run's end", 0.5)
                latency = emailed_at - files_at
                latencies.append(latency)
                stages.append(breakdown(instance, run.run_id, files_at, emailed_at))
                created = instance.get_run_record_by_id(run.run_id).create_timestamp.timestamp()
                ticks = sensor_ticks(dagster, files_at, created)
                print(f"{quarter.label}: files complete -> email accepted {latency:6.1f} s; the sensor's ticks "
                      f"(start after the files were complete, duration, status): {describe_ticks(ticks, files_at)}",
                      flush=True)
        print(f"\nfiles complete -> email accepted: median {median(latencies):.1f} s over {len(latencies)} "
              f"quarter(s) (spread {spread(latencies)} s); sensor interval {args.poll_interval_s} s; "
              f"goal <= {args.poll_interval_s + 30} s")
        for stage in stages[0]:
            values = [s[stage] for s in stages]
            print(f"  {stage:<45} median {median(values):6.1f} s   ({spread(values)})")


if __name__ == "__main__":
    main()
