"""A whole fiscal quarter on the embedded stack, driven by a real Dagster daemon.

    python -m dps_assets.embedded.demo [--ui] [--quarter FY2026-Q4] [--keep-history]

Starts the warehouse, SFTP server, simulated DPS and SMTP server, then `dagster dev` on a
persistent DAGSTER_HOME; submits the quarter (default: the latest closed one); lets the SFTP
sensor pick up DPS's answer; ends when the reports' email has arrived, printing where everything
is. With --ui the UI stays up afterwards, with the sensor running, until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from dps_assets.assets.partitions import FISCAL_QUARTER
from dps_assets.config.schema import load_config
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.embedded.dagster_dev import DagsterDev
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets.embedded.stack import DEMO_CONFIG, EmbeddedStack, StackLayout, StackSettings

# What a demo run leaves behind; --keep-history keeps it, otherwise each run starts clean.
STATE_FOLDERS = ("dagster_home", "sftp", "dps", "mail", "archive", "logs", "work")


class DemoError(RuntimeError):
    pass


@dataclass(frozen=True)
class DemoOutcome:
    quarter: FiscalQuarter
    send_run_id: str
    receive_run_id: str
    emails: list[EmailMessage]
    layout: StackLayout
    dagster_url: str


def reset_state(layout: StackLayout) -> None:
    for name in STATE_FOLDERS:
        shutil.rmtree(layout.base / name, ignore_errors=True)


def wait_for_receiving_run(home: Path, quarter: FiscalQuarter, after: float, timeout_s: float) -> str:
    """The sensor-launched receive_from_dps run for the quarter, once it has finished."""
    deadline = time.monotonic() + timeout_s
    with DagsterInstance.from_config(str(home)) as instance:
        while time.monotonic() < deadline:
            runs = instance.get_runs(RunsFilter(
                job_name="receive_from_dps", tags={"dagster/partition": quarter.partition_key},
                created_after=_utc(after)))
            for run in runs:
                if run.status == DagsterRunStatus.SUCCESS:
                    return run.run_id
                if run.status in (DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED):
                    raise DemoError(f"the receiving run {run.run_id} ended {run.status.value}")
            time.sleep(1)
    raise DemoError(f"no receiving run for {quarter.label} finished within {timeout_s:g} s")


def wait_for_quarter(home: Path, quarter: FiscalQuarter, timeout_s: float) -> None:
    """Until the quarter is a partition: on a new instance, the calendar sensor's first tick
    adds every closed quarter a moment after the daemon starts."""
    deadline = time.monotonic() + timeout_s
    with DagsterInstance.from_config(str(home)) as instance:
        while not instance.has_dynamic_partition(FISCAL_QUARTER, quarter.partition_key):
            if time.monotonic() > deadline:
                raise DemoError(f"{quarter.label} is not a partition {timeout_s:g} s after the daemon "
                                "started: is the fiscal_quarter_calendar sensor running?")
            time.sleep(0.5)


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def run_quarter(layout: StackLayout, dagster: DagsterDev, quarter: FiscalQuarter,
                timeout_s: float = 900) -> DemoOutcome:
    started = time.time()
    wait_for_quarter(dagster.home, quarter, timeout_s=120)
    send_run = dagster.submit("send_to_dps", quarter.partition_key, tags={"fiscal_quarter": quarter.label})
    print(f"  {quarter.label}: sending half launched (run {send_run[:8]})", flush=True)
    status = dagster.wait_for_run(send_run, timeout_s)
    if status != "SUCCESS":
        raise DemoError(f"the sending run {send_run} ended {status}; see {dagster.url}/runs/{send_run}")
    print(f"  {quarter.label}: uploaded to DPS; waiting for DPS's answer and the sensor", flush=True)
    receive_run = wait_for_receiving_run(dagster.home, quarter, started, timeout_s)
    emails = read_mailbox(layout.mailbox)
    if not emails:
        raise DemoError(f"the receiving run {receive_run} succeeded but no email arrived")
    return DemoOutcome(quarter, send_run, receive_run, emails, layout, dagster.url)


def describe(outcome: DemoOutcome) -> str:
    layout, tag = outcome.layout, outcome.quarter.tag
    [reports] = sorted((layout.base / "archive" / "reports" / tag).iterdir())[-1:]
    email = outcome.emails[-1]
    lines = [
        f"{outcome.quarter.label} is done.",
        f"  reports      {reports}",
        *(f"                 {p.name}" for p in sorted(reports.iterdir())),
        f"  sent files   {layout.base / 'archive' / 'to_dps' / tag}",
        f"  DPS files    {layout.base / 'archive' / 'from_dps' / tag}",
        f"  logs         {layout.base / 'logs'}",
        f"  email        {sorted(layout.mailbox.glob('*.eml'))[-1]}",
        f"               subject: {email['Subject']}",
        f"  Dagster      {outcome.dagster_url}/runs/{outcome.receive_run_id}"
        f" (DAGSTER_HOME {layout.base / 'dagster_home'})",
    ]
    return "\n".join(lines)


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main() -> None:
    # SIGTERM (a service manager, `kill`) and Ctrl-C both unwind the `with` blocks below, which
    # stop everything the demo started; SIGINT is handled even when a shell started the demo in
    # the background with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _demo()
    except KeyboardInterrupt as stopped:
        print(f"Stopped ({stopped or 'SIGINT'}): the embedded stack and Dagster are down.", flush=True)
        raise SystemExit(130) from None


def _demo() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ui", action="store_true", help="keep the UI and the sensor running afterwards")
    parser.add_argument("--quarter", help="label such as FY2026-Q4 (default: the latest closed quarter)")
    parser.add_argument("--keep-history", action="store_true", help="do not clear earlier demo runs")
    parser.add_argument("--port", type=int, default=3000, help="the Dagster UI's port")
    args = parser.parse_args()

    config_path = Path(os.environ.get("DPS_CONFIG", DEMO_CONFIG)).resolve()
    config = load_config(config_path)
    quarter = FiscalQuarter.from_label(args.quarter) if args.quarter else FiscalQuarter.latest_closed(date.today())
    if quarter < config.first_quarter:  # never listed: the calendar sensor starts at the first quarter
        parser.error(f"{quarter.label} is before {config.first_quarter.label}, the first quarter of "
                     f"{config_path.name} (its first_quarter)")
    layout = StackLayout.of(config)
    if not args.keep_history:
        reset_state(layout)
    password = os.environ.get(config.sftp.password_env or "") or secrets.token_urlsafe(18)
    settings = StackSettings(sftp_port=config.sftp.port, smtp_port=config.email.port, sftp_password=password)

    print(f"Starting the embedded stack in {layout.base} (first run builds the warehouse)…", flush=True)
    with EmbeddedStack(layout, settings):
        env = {"DPS_CONFIG": str(config_path)}
        if config.sftp.password_env:  # None where the SFTP login is by key alone
            env[config.sftp.password_env] = password
        with DagsterDev(layout.base / "dagster_home", env, port=args.port) as dagster:
            print(f"Dagster UI and daemon at {dagster.url}", flush=True)
            print(describe(run_quarter(layout, dagster, quarter)), flush=True)
            if args.ui:
                print(f"\nThe UI stays up at {dagster.url} with the sensor running. Launch any quarter "
                      "of the send_to_dps job there; the sensor finishes it. Ctrl-C stops everything.",
                      flush=True)
                threading.Event().wait()  # until SIGINT or SIGTERM


if __name__ == "__main__":
    main()
