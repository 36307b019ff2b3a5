"""When the history is refreshed: once per delivery, again after a refresh that died, never two at once."""

from dps_assets.core.history.refresh_rule import MAX_ATTEMPTS, RefreshAttempt, history_refresh


def test_nothing_delivered_nothing_to_refresh():
    decision = history_refresh(None, "", None, [])
    assert decision.run_key is None and "no quarter's reports have been delivered" in decision.reason


def test_a_new_delivery_asks_for_one_refresh():
    decision = history_refresh(42, "FY2026-Q1", 17, [])
    assert decision.run_key == "history_after_delivery_42_attempt_1"
    assert decision.reason == "refreshing after FY2026-Q1's delivery"


def test_a_delivery_already_counted_asks_for_nothing():
    assert history_refresh(42, "FY2026-Q1", 42, []).run_key is None
    assert history_refresh(42, "FY2026-Q1", None, [RefreshAttempt("a" * 36, "SUCCESS")]).run_key is None


def test_a_refresh_in_flight_is_waited_for():
    decision = history_refresh(42, "FY2026-Q1", 17, [RefreshAttempt("0123abcd" + "0" * 28, "STARTED")])
    assert decision.run_key is None and "run 0123abcd is started" in decision.reason


def test_a_refresh_that_died_is_asked_for_again_under_a_new_key():
    died = RefreshAttempt("dead0000" + "0" * 28, "FAILURE")
    decision = history_refresh(42, "FY2026-Q1", 17, [died])
    assert decision.run_key == "history_after_delivery_42_attempt_2"
    assert "again: run dead0000 ended failure" in decision.reason


def test_after_the_last_attempt_it_stops_and_says_what_to_do():
    failed = [RefreshAttempt(f"{i:08d}" + "0" * 28, "FAILURE") for i in range(MAX_ATTEMPTS)]
    decision = history_refresh(42, "FY2026-Q1", 17, failed)
    assert decision.run_key is None
    assert f"failed {MAX_ATTEMPTS} times" in decision.reason and "launch refresh_quarterly_history" in decision.reason
