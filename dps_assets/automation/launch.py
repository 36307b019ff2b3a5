"""`dps-launch sending|receiving [FY2026-Q4] [dg launch options]`: one half of a quarter from the
command line, on the instance of $DAGSTER_HOME, with the configuration of $DPS_CONFIG. Without a
quarter, the newest closed one.

`dg launch --partition FY2026-Q4` alone fails with a bare `DagsterInvalidSubsetError` on an
instance whose quarter-calendar sensor has not ticked yet (a fresh install, a restored backup):
the quarter is not a partition yet. This command first adds the closed quarters the instance
lacks (what the sensor's tick does), refuses a quarter that has not closed with a sentence that
says when it does, and then hands over to `dg launch` with the half's assets selected. Options
after the quarter (`--config-json …`) go to `dg launch` as they are."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dagster import DagsterInstance

from dps_assets.assets.partitions import FISCAL_QUARTER, agency_today, update_quarter_list
from dps_assets.config.schema import ConfigError, load_config
from dps_assets.core.exchange.quarters import FiscalQuarter

SELECTIONS = {
    "sending": "group:to_dps",
    "receiving": "group:from_dps or group:impact or group:reports or group:delivery",
}


class LaunchRefused(Exception):
    """Why the quarter cannot be launched, in a sentence."""


def launch_command(half: str, label: str | None, passed_on: Sequence[str]) -> list[str]:
    """The `dg launch` command for one half of a quarter (None: the newest closed one), once the
    instance lists the quarter."""
    today = agency_today()
    try:
        quarter = FiscalQuarter.from_label(label) if label else FiscalQuarter.latest_closed(today)
    except ValueError:
        raise LaunchRefused(f"{label!r} is not a fiscal quarter: write it like FY2026-Q4") from None
    if label is None:
        print(f"dps-launch: {quarter.label}, the newest closed quarter", file=sys.stderr)
    if quarter.end >= today:
        raise LaunchRefused(f"{quarter.label} has not closed yet: it ends on {quarter.end:%B} {quarter.end.day}, "
                            f"{quarter.end.year}, and can be launched from the next day")
    first = load_config().first_quarter
    with DagsterInstance.get() as instance:
        added = update_quarter_list(instance, first, today).added
        if added:
            print(f"dps-launch: added {len(added)} closed quarter(s) to the instance "
                  f"({added[0].label} … {added[-1].label})", file=sys.stderr)
        if quarter.partition_key not in instance.get_dynamic_partitions(FISCAL_QUARTER):
            raise LaunchRefused(f"{quarter.label} is before {first.label}, the exchange's first quarter "
                                "(first_quarter in the configuration), and nothing ran for it")
    dg = str(Path(sys.executable).with_name("dg"))
    return [dg, "launch", "-m", "dps_assets.definitions", "--assets", SELECTIONS[half],
            "--partition", quarter.partition_key, *passed_on]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="dps-launch", description=__doc__.splitlines()[0])
    parser.add_argument("half", choices=sorted(SELECTIONS), help="sending: export and upload; "
                        "receiving: DPS's answer, the reports and their email")
    parser.add_argument("quarter", nargs="?", help="the quarter's label, e.g. FY2026-Q4 "
                        "(default: the newest closed quarter)")
    args, passed_on = parser.parse_known_args(argv)
    try:
        command = launch_command(args.half, args.quarter, passed_on)
    except (LaunchRefused, ConfigError) as refused:
        parser.exit(2, f"dps-launch: {refused}\n")
    # Children's records pass through this process, as through the code server's runs.
    os.umask(0o077)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
