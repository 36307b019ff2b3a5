"""When the health check restarts a unit and when it alerts (core/operations/service_health.py)."""

from __future__ import annotations

from dps_assets.core.operations.service_health import (
    CheckResult,
    HealthRules,
    UnitHealth,
    after_check,
    down_alert,
    recovered_alert,
    restarted,
)

RULES = HealthRules(failures_before_alert=3, restart_grace_s=150)
HUNG = CheckResult("no heartbeat from the daemon for over 150 s")
UNIT = "dps-exchange-daemon.service"


def rounds(results: list[CheckResult], every_s: float = 60):
    health, decisions = UnitHealth(), []
    for n, result in enumerate(results):
        decision = after_check(health, result, 1000 + n * every_s, RULES)
        decisions.append(decision)
        health = decision.health
    return decisions


def test_a_healthy_unit_is_left_alone():
    assert after_check(UnitHealth(), CheckResult(), 1000, RULES) == after_check(UnitHealth(), CheckResult(), 1, RULES)
    decision = after_check(UnitHealth(), CheckResult(), 1000, RULES)
    assert (decision.health, decision.restart, decision.alert) == (UnitHealth(), False, None)


def test_a_hung_unit_is_restarted_at_its_first_failed_check():
    [first] = rounds([HUNG])
    assert first.restart and first.alert is None
    assert (first.health.failures, first.health.restarts, first.health.restarted_at) == (1, 1, 1000)


def test_a_unit_that_stays_down_is_alerted_once_at_the_configured_count_and_once_when_it_recovers():
    decisions = rounds([HUNG] * 5 + [CheckResult()])
    assert [d.alert for d in decisions] == [None, None, "down", None, None, "recovered"]
    assert decisions[-1].health == UnitHealth()  # the run of failures starts again from nothing


def test_a_restart_waits_for_the_grace_period_so_a_starting_unit_is_not_restarted_again():
    decisions = rounds([HUNG] * 4)  # a check each minute, 150 s of grace
    assert [d.restart for d in decisions] == [True, False, False, True]
    assert decisions[-1].health.restarts == 2


def test_a_check_that_could_not_be_made_counts_but_restarts_nothing():
    database_down = CheckResult("dagster-daemon liveness-check did not answer within 30 s", restart_helps=False)
    decisions = rounds([database_down] * 3)
    assert [d.restart for d in decisions] == [False, False, False]
    assert decisions[-1].alert == "down"


def test_a_recovery_before_the_alert_says_nothing():
    assert [d.alert for d in rounds([HUNG, HUNG, CheckResult()])] == [None, None, None]


def test_the_health_survives_its_state_file():
    health = restarted(rounds([HUNG])[0].health, "`systemctl restart --no-block x` exited 0")
    assert UnitHealth.from_dict(health.to_dict()) == health
    assert UnitHealth.from_dict(None) == UnitHealth()


def test_the_alert_names_the_unit_what_stops_what_was_tried_and_what_to_do():
    health = restarted(rounds([HUNG] * 3)[-1].health, "`systemctl restart --no-block x` failed (exit 1)")
    alert = down_alert(UNIT, "daemon", "exchange-host", health, restart_helps=True)
    assert alert.subject == f"{UNIT} is down on exchange-host: 3 health checks in a row failed"
    text = alert.as_text()
    assert "no heartbeat from the daemon" in text and "a failed run alerts no one" in text
    assert "restarted it 1 time(s); the last restart: `systemctl restart --no-block x` failed (exit 1)" in text
    assert f"journalctl -u {UNIT}" in alert.action and f"sudo systemctl restart {UNIT}" in alert.action
    not_restartable = down_alert(UNIT, "daemon", "h", UnitHealth(3, True, last_problem="x"), restart_helps=False)
    assert "PostgreSQL" in not_restartable.action and "did not restart it" in not_restartable.as_text()
    assert recovered_alert("dps-exchange-webserver.service", "webserver", "h", 4).subject == (
        "dps-exchange-webserver.service recovered on h")
