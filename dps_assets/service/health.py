"""`python -m dps_assets.service.health`: one round of the service's health check, started every
minute by dps-exchange-health.timer (deploy/systemd/, docs/service-health.md).

Each unit of `health.units` is checked with Dagster's own check (service/health_checks.py). A
unit that fails is restarted with `health.restart_command` (`systemctl restart --no-block …`;
systemd's `Restart=on-failure` already restarts a process that exits, so what this adds is the
restart of a hung one). A unit that fails `health.failures_before_alert` checks in a row is
alerted, once, and once more when it passes again (core/operations/service_health.py decides).
The alerts go straight to the alert file, the webhook and the operators' email, with the code
every other alert uses (resources/operator_alerts.py): no daemon, sensor or code server is
needed, which is the point, since those are what is down.

Each unit's run of failures is kept between rounds in `--state-file` (by default
`$STATE_DIRECTORY/units.json`, the unit's `StateDirectory=`)."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from dps_assets.config.file import ConfigError
from dps_assets.config.health import UNIT_PLACEHOLDER
from dps_assets.config.schema import ExchangeConfig, load_config
from dps_assets.core.operations.alerts import Alert
from dps_assets.core.operations.service_health import (
    HealthRules,
    UnitHealth,
    after_check,
    down_alert,
    recovered_alert,
    restarted,
)
from dps_assets.core.privacy.private_files import FILE_MODE
from dps_assets.service.health_checks import check_units

if TYPE_CHECKING:
    from dps_assets.resources.mailer import Mailer
    from dps_assets.resources.operator_alerts import OperatorAlertsResource

STATE_FILE_NAME = "units.json"
RESTART_ENVIRONMENT = ("PATH", "LANG", "LC_ALL")  # what `systemctl` needs; no secret


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dps_assets.service.health", description=__doc__.split("\n")[0])
    parser.add_argument("--state-file", type=Path, default=None,
                        help=f"each unit's run of failed checks (default: $STATE_DIRECTORY/{STATE_FILE_NAME})")
    args = parser.parse_args(argv)
    state_file = args.state_file or default_state_file(os.environ)
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"dps_assets.service.health: {exc}", file=sys.stderr)
        return 2
    run_round(config, state_file, os.environ, time.time())
    return 0


def default_state_file(environment: Mapping[str, str]) -> Path:
    directory = environment.get("STATE_DIRECTORY")
    if not directory:
        sys.exit("dps_assets.service.health: give --state-file, or run it from its unit (StateDirectory=)")
    return Path(directory.split(":")[0], STATE_FILE_NAME)


def run_round(config: ExchangeConfig, state_file: Path, environment: Mapping[str, str], now: float) -> None:
    """Check every unit; restart, record and alert as `after_check` decides."""
    health = config.health
    state = read_state(state_file)
    results = check_units(health, checks_environment(config, environment))
    rules = HealthRules(health.failures_before_alert, health.restart_grace_s)
    host = socket.gethostname()
    alerts: list[Alert] = []
    kept: dict[str, UnitHealth] = {}
    for unit in health.units:
        before, result = state.get(unit.unit, UnitHealth()), results[unit.unit]
        decision = after_check(before, result, now, rules)
        after = decision.health
        if result.problem is not None:
            print(f"{unit.unit}: check failed ({after.failures} in a row): {result.problem}", flush=True)
        if decision.restart:
            after = restarted(after, restart(unit.unit, health.restart_command, health.check_timeout_s, environment))
            print(f"{unit.unit}: restart: {after.last_restart}", flush=True)
        if decision.alert == "down":
            alerts.append(down_alert(unit.unit, unit.check, host, after, result.restart_helps))
        elif decision.alert == "recovered":
            print(f"{unit.unit}: passes its check again after {before.failures} failed check(s)", flush=True)
            alerts.append(recovered_alert(unit.unit, unit.check, host, before.failures))
        kept[unit.unit] = after
    if alerts:
        send_alerts(config, alerts, environment)  # before the state: an alert that could not be sent is tried again
    write_state(state_file, kept)


def checks_environment(config: ExchangeConfig, environment: Mapping[str, str]) -> dict[str, str]:
    """What the Dagster commands run with: the instance's settings, without the alerts' secrets."""
    secrets = {config.alerts.webhook_url_env, config.email.password_env}
    return {name: value for name, value in environment.items() if name not in secrets}


def restart(unit: str, command: Sequence[str], timeout_s: float, environment: Mapping[str, str]) -> str:
    """Run the restart command for `unit`; what it did, in words for the alert."""
    argv = [unit if part == UNIT_PLACEHOLDER else part for part in command]
    shown = " ".join(argv)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=timeout_s,
                              stdin=subprocess.DEVNULL, check=False,
                              env={name: environment[name] for name in RESTART_ENVIRONMENT if name in environment})
    except subprocess.TimeoutExpired:
        return f"`{shown}` did not return within {timeout_s:g} s"
    except OSError as exc:
        return f"`{shown}` could not be started ({type(exc).__name__})"
    if done.returncode != 0:
        print(f"{unit}: `{shown}` said: {' | '.join((done.stdout + done.stderr).strip().splitlines()[-3:])}",
              flush=True)
        return f"`{shown}` failed (exit {done.returncode}; its message is in the health check's journal)"
    return f"`{shown}` exited 0"


def send_alerts(config: ExchangeConfig, alerts: list[Alert], environment: Mapping[str, str]) -> None:
    operator_alerts, mailer, not_sent = alert_channels(config, environment)
    for alert in alerts:
        if not_sent:
            alert = replace(alert, lines=[*alert.lines, f"Not sent through: {'; '.join(not_sent)}."])
        undelivered = operator_alerts.send(alert, mailer)
        print(f"alert sent: {alert.subject}" + (f" (undelivered: {', '.join(undelivered)})" if undelivered else ""),
              flush=True)


def alert_channels(config: ExchangeConfig, environment: Mapping[str, str]
                   ) -> tuple[OperatorAlertsResource, Mailer | None, list[str]]:
    """The alert file, and the webhook and the email if the health check holds their secrets
    (its unit's LoadCredential= lines); a channel whose secret it lacks is named instead."""
    # Dagster is imported only to alert: a round that finds every unit healthy stays light.
    from dps_assets.resources import build_mailer, build_operator_alerts

    not_sent = []
    hook = config.alerts.webhook_url_env
    if hook and not environment.get(hook):
        not_sent.append(f"webhook (the health check does not hold {hook})")
    operator_alerts = build_operator_alerts(config, without_webhook=bool(not_sent)).process_config_and_initialize()
    password = config.email.password_env
    mailer: Mailer | None = None
    if password and not environment.get(password):
        not_sent.append(f"email (the health check does not hold {password})")
    else:
        mailer = build_mailer(config.email).process_config_and_initialize()
    return operator_alerts, mailer, not_sent


def read_state(path: Path) -> dict[str, UnitHealth]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        print(f"{path}: unreadable ({type(exc).__name__}); every unit starts a new count", flush=True)
        return {}
    return {unit: UnitHealth.from_dict(health) for unit, health in data.items()} if isinstance(data, dict) else {}


def write_state(path: Path, state: Mapping[str, UnitHealth]) -> None:
    """The state, replaced at once (a round killed half-way leaves the previous one), 0600."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({unit: health.to_dict() for unit, health in state.items()}, handle, sort_keys=True, indent=1)
    os.replace(scratch, path)


if __name__ == "__main__":
    sys.exit(main())
