import pytest

from dps_assets.core.ledger import (
    OutstandingSubmissionError,
    Submission,
    awaiting_answer,
    check_can_submit,
)
from dps_assets.quarters import FiscalQuarter

Q3, Q4 = FiscalQuarter(2025, 3), FiscalQuarter(2025, 4)


def sub(quarter, at):
    return Submission(quarter, at, "sha", 10)


def test_a_submission_waits_until_results_are_fetched_after_it():
    assert awaiting_answer([sub(Q3, 100)], {}) == [sub(Q3, 100)]
    assert awaiting_answer([sub(Q3, 100)], {Q3: 150}) == []
    # Results fetched before a re-submission do not answer it.
    assert awaiting_answer([sub(Q3, 100), sub(Q3, 200)], {Q3: 150}) == [sub(Q3, 200)]


def test_oldest_waiting_first():
    assert awaiting_answer([sub(Q4, 300), sub(Q3, 100)], {}) == [sub(Q3, 100), sub(Q4, 300)]


def test_another_quarter_waiting_refuses_the_upload_naming_it():
    with pytest.raises(OutstandingSubmissionError, match="FY2025-Q3 is still waiting"):
        check_can_submit(Q4, [sub(Q3, 100)], {}, force=False)
    assert check_can_submit(Q4, [sub(Q3, 100)], {}, force=True) is None
    assert check_can_submit(Q4, [sub(Q3, 100)], {Q3: 200}, force=False) is None


def test_a_quarter_already_submitted_is_not_uploaded_again_unless_forced():
    assert check_can_submit(Q3, [sub(Q3, 100)], {Q3: 200}, force=False) == sub(Q3, 100)
    assert check_can_submit(Q3, [sub(Q3, 100)], {}, force=False) == sub(Q3, 100)
    assert check_can_submit(Q3, [sub(Q3, 100)], {}, force=True) is None
