"""When a unit of the service that fails its health check is restarted, and when the operators
are alerted about it. Pure: the health check (dps_assets/service/health.py) runs the checks,
keeps each unit's `UnitHealth` between its runs, restarts and alerts as `after_check` decides.

systemd's `Restart=on-failure` restarts a process that exits. The health check covers the rest:
a process that runs but does not answer (hung: restarted at its first failed check), and a unit
that stays down whatever is restarted (alerted after `failures_before_alert` checks in a row,
once, and once more when it passes again)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from dps_assets.core.operations.alerts import Alert

# What each kind of unit does, and what stops while it is down.
ROLE = {
    "daemon": "the Dagster daemon: schedule, sensors, run queue, run monitoring, failed-run alerts",
    "code_server": "the Dagster code server: evaluates the schedule and the sensors, starts every run",
    "webserver": "a Dagster UI",
}
WHILE_DOWN = {
    "daemon": "While it is down nothing runs by itself: no scheduled submission, no sensor (DPS's answer "
              "is not picked up), no queued run starts, and a failed run alerts no one.",
    "code_server": "While it is down no run starts and no sensor or schedule is evaluated; the daemon "
                   "and the UIs cannot load the exchange's code.",
    "webserver": "While it is down its users cannot reach the Dagster UI; runs, sensors and alerts go on.",
}


@dataclass(frozen=True)
class CheckResult:
    """One check of one unit: `problem` is None when it passed. `restart_helps` is false when the
    check could not be made for a reason outside the unit (the instance's database unreachable)."""

    problem: str | None = None
    restart_helps: bool = True


@dataclass(frozen=True)
class UnitHealth:
    """A unit's run of failed checks, kept between the health check's runs."""

    failures: int = 0
    alerted: bool = False
    restarts: int = 0
    restarted_at: float | None = None  # seconds since the epoch
    last_problem: str = ""
    last_restart: str = ""  # what the last restart command did

    def to_dict(self) -> dict[str, object]:
        return {"failures": self.failures, "alerted": self.alerted, "restarts": self.restarts,
                "restarted_at": self.restarted_at, "last_problem": self.last_problem,
                "last_restart": self.last_restart}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> UnitHealth:
        data = data or {}
        restarted_at = data.get("restarted_at")
        return cls(int(data.get("failures", 0)), bool(data.get("alerted", False)), int(data.get("restarts", 0)),
                   None if restarted_at is None else float(restarted_at), str(data.get("last_problem", "")),
                   str(data.get("last_restart", "")))


@dataclass(frozen=True)
class HealthRules:
    failures_before_alert: int
    restart_grace_s: float


@dataclass(frozen=True)
class UnitDecision:
    """The unit's health after a check; restart it now or not; alert now: "down", "recovered" or None."""

    health: UnitHealth
    restart: bool = False
    alert: str | None = None


def after_check(health: UnitHealth, result: CheckResult, now: float, rules: HealthRules) -> UnitDecision:
    """A check that passed clears the unit's run (and says it recovered if the operators were
    alerted). A failed one is counted; the unit is restarted unless a restart cannot help or the
    last one is less than `restart_grace_s` old (still starting, or letting its runs finish); at
    `failures_before_alert` failures in a row the operators are alerted, once."""
    if result.problem is None:
        return UnitDecision(UnitHealth(), alert="recovered" if health.alerted else None)
    grace_over = health.restarted_at is None or now - health.restarted_at >= rules.restart_grace_s
    restart = result.restart_helps and grace_over
    failures = health.failures + 1
    alert_now = failures >= rules.failures_before_alert and not health.alerted
    after = replace(health, failures=failures, alerted=health.alerted or alert_now, last_problem=result.problem,
                    restarts=health.restarts + int(restart), restarted_at=now if restart else health.restarted_at)
    return UnitDecision(after, restart, "down" if alert_now else None)


def restarted(health: UnitHealth, outcome: str) -> UnitHealth:
    """`health` with what the restart command just did (`systemctl restart … exited 0`)."""
    return replace(health, last_restart=outcome)


def down_alert(unit: str, kind: str, host: str, health: UnitHealth, restart_helps: bool) -> Alert:
    """The unit stays down: what failed, what stops meanwhile, what was tried, what to do."""
    restarts = (f"The health check restarted it {health.restarts} time(s); the last restart: {health.last_restart}."
                if health.restarts else "The health check did not restart it: that would not help.")
    if restart_helps:
        action = (f"On {host}: `systemctl status {unit}` and `journalctl -u {unit} -n 200` say why it does not "
                  f"start or answer (a missing credential, the database, the configuration, the disk); fix that, "
                  f"then `sudo systemctl restart {unit}`. An alert follows when it passes its check again.")
    else:
        action = (f"The check itself could not be made: on {host}, check the instance's PostgreSQL database "
                  f"(running, reachable, its password) and `journalctl -u dps-exchange-health -n 50`. "
                  f"An alert follows when {unit} passes its check again.")
    return Alert(
        f"{unit} is down on {host}: {health.failures} health checks in a row failed",
        [f"{unit} ({ROLE[kind]}) failed its health check {health.failures} times in a row: {health.last_problem}.",
         WHILE_DOWN[kind], restarts],
        action)


def recovered_alert(unit: str, kind: str, host: str, failures_before: int) -> Alert:
    return Alert(
        f"{unit} recovered on {host}",
        [f"{unit} ({ROLE[kind]}) passes its health check again, after {failures_before} failed check(s)."],
        "Look for runs that failed while it was down (operators' UI, Runs) and re-execute them from their "
        "pages; the schedule's missed ticks are launched by the daemon itself."
        if kind != "webserver" else "Nothing: its users can reach it again.")
