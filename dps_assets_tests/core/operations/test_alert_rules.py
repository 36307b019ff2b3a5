"""When the SFTP sensor's trouble becomes an alert, and what each alert tells the operator to do."""

from dps_assets.core.operations.alerts import DEFAULT_WHAT_TO_DO, SensorHealth, after_tick, what_to_do


def test_the_operators_are_alerted_once_after_the_configured_failures_and_once_on_recovery():
    health, alerts = SensorHealth(), []
    for problem in ("SftpError: timed out", "SftpError: timed out", "SftpError: refused", "SftpError: refused",
                    None, None):
        change = after_tick(health, problem, alert_after=3, sensor="dps_files_sensor")
        health = change.health
        alerts.append(change.alert.subject if change.alert else None)
    assert alerts == [None, None, "dps_files_sensor has failed 3 times in a row", None,
                      "dps_files_sensor recovered", None]
    assert health == SensorHealth()


def test_a_failure_that_ends_before_the_alert_leaves_no_trace():
    change = after_tick(SensorHealth(2, False, "x"), None, alert_after=3, sensor="s")
    assert change.alert is None and change.health == SensorHealth()


def test_health_survives_the_cursor():
    health = SensorHealth(4, True, "SftpError: refused")
    assert SensorHealth.from_dict(health.to_dict()) == health
    assert SensorHealth.from_dict(None) == SensorHealth()


def test_each_kind_of_failure_says_what_to_do():
    assert "host key" in what_to_do(["Step dps_submission: HostKeyError: pinned ..."])
    assert "reachable" in what_to_do(["Step dps_submission: SftpError: sftp://dps:22 timed out"])
    assert "force: true" in what_to_do(["Step dps_submission: OutstandingSubmissionError: FY2026-Q3 is still waiting"])
    assert "re-execute it" in what_to_do(["the run was killed while dps_submission ran: signal 9"])
    assert what_to_do(["Step sa_98: StepFailed: KeyError"]) == DEFAULT_WHAT_TO_DO


def test_a_run_whose_worker_died_says_so_and_what_to_do():
    from dps_assets.core.operations.run_end import run_end_reason

    monitoring = ("Detected run worker status FAILED: 'the run worker (pid 4242 on host vm) is gone: no such "
                  "process'. Marking run 0b8f as failed.")
    line = run_end_reason(monitoring, ["Started process for run (pid: 4242)."], ["dps_submission"])
    assert line.startswith("the run's worker died while dps_submission ran: the run worker (pid 4242 on host vm) "
                           "is gone: no such process.")
    assert "pool slots are freed" in line
    assert what_to_do([line]).startswith("The run's worker died: re-execute the run from its page")
