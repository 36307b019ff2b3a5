import pytest

from dps_assets.core.submissions import (
    OutstandingSubmissionError,
    Submission,
    awaiting_answer,
    check_can_submit,
    export_size_problem,
)
from dps_assets.core.quarters import FiscalQuarter

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


def test_a_quarter_already_sent_is_rebuilt_without_upload_even_while_another_awaits_dps():
    assert check_can_submit(Q3, [sub(Q3, 100), sub(Q4, 200)], {}, force=False) == sub(Q3, 100)


def test_an_export_is_flagged_when_empty_or_far_from_the_last_submission():
    last = Submission(Q3, 100, "sha", 1000)
    assert export_size_problem(0, Q4, [], 0.2) == "the export of FY2025-Q4 has no children to send"
    assert export_size_problem(5, Q4, [], 0.2) is None  # nothing to compare with
    assert export_size_problem(1200, Q4, [last], 0.2) is None
    assert export_size_problem(799, Q4, [last], 0.2) == (
        "the export of FY2025-Q4 has 799 children, -20% against 1000 sent for FY2025-Q3 "
        "(more than the allowed 20%)")
    assert "+50%" in export_size_problem(1500, Q4, [last], 0.2)
    # Compared with the latest submission of another quarter, never the quarter's own.
    assert export_size_problem(1500, Q3, [last], 0.2) is None
    older = Submission(FiscalQuarter(2025, 2), 50, "sha", 1500)
    assert export_size_problem(1500, Q4, [older, last], 0.2) is not None
