import pytest

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.exchange.submissions import (
    OutstandingSubmissionError,
    Submission,
    awaiting_answer,
    check_can_submit,
    judge_export_size,
)

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


def test_an_export_is_flagged_when_empty_or_far_from_the_same_quarter_a_year_earlier():
    year_earlier = Submission(FiscalQuarter(2024, 4), 100, "sha", 1000)
    assert judge_export_size(0, Q4, [], 0.2).problem == "the export of FY2025-Q4 has no children to send"
    assert judge_export_size(1200, Q4, [year_earlier], 0.2).problem is None
    assert judge_export_size(799, Q4, [year_earlier], 0.2).problem == (
        "the export of FY2025-Q4 has 799 children, -20% against 1000 sent for FY2024-Q4, the same "
        "quarter a year earlier (more than the allowed 20%)")
    assert "+50%" in judge_export_size(1500, Q4, [year_earlier], 0.2).problem
    # The latest submission of that quarter (a forced re-send replaces the first).
    resent = Submission(FiscalQuarter(2024, 4), 200, "sha", 1500)
    assert judge_export_size(1500, Q4, [year_earlier, resent], 0.2).compared_with == resent
    # Never another quarter, however recent: the quarter's own earlier submission, the quarter before.
    assert judge_export_size(1500, Q4, [Submission(Q3, 300, "sha", 1000), Submission(Q4, 400, "sha", 1000)],
                             0.2).problem is None


def test_without_a_submission_of_the_same_quarter_a_year_earlier_only_emptiness_is_checked():
    verdict = judge_export_size(5, Q4, [Submission(Q3, 100, "sha", 1000)], 0.2)
    assert (verdict.problem, verdict.compared_with) == (None, None)
    assert verdict.description == (
        "5 children; the size was not compared: nothing was sent for FY2024-Q4, the same quarter a year "
        "earlier and the only one whose window is as long (an empty export is still stopped)")
    empty_before = Submission(FiscalQuarter(2024, 4), 100, "sha", 0)  # sent anyway, with force
    verdict = judge_export_size(5, Q4, [empty_before], 0.2)
    assert verdict.problem is None and verdict.compared_with == empty_before
    assert "not compared: FY2024-Q4, the same quarter a year earlier, was sent with no children" \
        in verdict.description
    assert judge_export_size(0, Q4, [], 0.2).problem is not None


# Children in conservatorship at any time in the fiscal year to date: each quarter's window adds
# three months to the last, so the count grows through the year and falls back at every Q1.
A_YEAR_OF_QUARTERS = {1: 43_171, 2: 49_420, 3: 55_035, 4: 60_390}


def test_a_year_of_quarters_across_the_turn_of_the_fiscal_year_sends_without_force():
    submitted: list[Submission] = []
    quarter, at = FiscalQuarter(2026, 1), 0
    while quarter <= FiscalQuarter(2028, 1):
        growth = 1 + 0.02 * (quarter.fiscal_year - 2026)  # 2 % more children each year
        rows = round(A_YEAR_OF_QUARTERS[quarter.quarter] * growth)
        verdict = judge_export_size(rows, quarter, submitted, 0.2)
        assert verdict.problem is None, verdict.problem
        expected = quarter.a_year_earlier() if quarter.fiscal_year > 2026 else None
        assert (verdict.compared_with.quarter if verdict.compared_with else None) == expected
        at += 1
        submitted.append(Submission(quarter, at, "sha", rows))
        quarter = quarter.next()
    # FY2027-Q1 went after FY2026-Q4, 28 % fewer children, and was compared with FY2026-Q1.
    assert [s.rows for s in submitted[3:5]] == [60_390, 44_034]


def test_a_real_drop_against_the_same_quarter_a_year_earlier_still_blocks():
    fy2026 = [Submission(FiscalQuarter(2026, q), q, "sha", rows) for q, rows in A_YEAR_OF_QUARTERS.items()]
    fy2027_q3 = Submission(FiscalQuarter(2027, 3), 10, "sha", 55_000)
    # FY2027-Q4 loses a quarter of its children: only -18 % against the Q3 just sent, -25 % a year on.
    verdict = judge_export_size(45_000, FiscalQuarter(2027, 4), [*fy2026, fy2027_q3], 0.2)
    assert verdict.compared_with == fy2026[3]
    assert verdict.problem == (
        "the export of FY2027-Q4 has 45000 children, -25% against 60390 sent for FY2026-Q4, the same "
        "quarter a year earlier (more than the allowed 20%)")
    # A Q1 half the size of the Q1 a year earlier is blocked as well, Q4 or no Q4 before it.
    verdict = judge_export_size(21_000, FiscalQuarter(2027, 1), fy2026, 0.2)
    assert verdict.compared_with == fy2026[0] and "-51% against 43171 sent for FY2026-Q1" in verdict.problem
