"""Which submissions are still waiting for DPS's answer.

DPS reads one fixed file name, so at most one submission should be outstanding at a time. A
submission is answered once DPS results were fetched for its quarter after it was made."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.privacy.errors import ExchangeError


@dataclass(frozen=True)
class Submission:
    quarter: FiscalQuarter
    submitted_at: float  # seconds since the epoch, UTC
    sha256: str
    rows: int


def latest_per_quarter(submissions: Iterable[Submission]) -> dict[FiscalQuarter, Submission]:
    latest: dict[FiscalQuarter, Submission] = {}
    for submission in submissions:
        current = latest.get(submission.quarter)
        if current is None or submission.submitted_at > current.submitted_at:
            latest[submission.quarter] = submission
    return latest


def awaiting_answer(
    submissions: Iterable[Submission], answered_at: Mapping[FiscalQuarter, float]
) -> list[Submission]:
    """Each quarter's latest submission that has no DPS answer fetched after it, oldest first."""
    waiting = [
        s for q, s in latest_per_quarter(submissions).items()
        if answered_at.get(q, float("-inf")) < s.submitted_at
    ]
    return sorted(waiting, key=lambda s: s.submitted_at)


def sent_before(sha256: str, submissions: Iterable[Submission]) -> bool:
    """Whether a recorded submission, of any quarter, sent exactly these bytes. DPS's file is
    accounted for when one did; when none did, the run that uploaded it died before recording it."""
    return any(s.sha256 == sha256 for s in submissions)


class OutstandingSubmissionError(ExchangeError, RuntimeError):
    """Another quarter's submission is still waiting for DPS; uploading would overwrite it."""


def check_can_submit(
    quarter: FiscalQuarter,
    submissions: Iterable[Submission],
    answered_at: Mapping[FiscalQuarter, float],
    force: bool,
) -> Submission | None:
    """Decide whether `quarter` may be uploaded now.

    Returns the quarter's earlier submission when it was already submitted (and `force` is off):
    the caller then does not upload again. Otherwise raises when another quarter is still
    waiting for DPS, unless `force`. Returns None when the upload should go ahead. The caller
    holds the DPS-folder lock from this check until the upload is recorded."""
    submissions = list(submissions)
    if force:
        return None
    # A quarter already sent is rebuilt without uploading, whatever else awaits DPS.
    earlier = latest_per_quarter(submissions).get(quarter)
    if earlier is not None:
        return earlier
    others = [s for s in awaiting_answer(submissions, answered_at) if s.quarter != quarter]
    if others:
        names = ", ".join(s.quarter.label for s in others)
        raise OutstandingSubmissionError(
            f"{names} is still waiting for DPS's answer; uploading {quarter.label} now would "
            f"overwrite it. Wait for the answer, or re-run with force: true."
        )
    return None


class ExportSizeError(ExchangeError, RuntimeError):
    """The export is empty, or its size moved further than allowed from the same quarter's a
    year earlier."""


def size_refused(problem: str) -> ExportSizeError:
    """The sentence a run stops with when the size guard's `problem` holds and it is not forced."""
    return ExportSizeError(f"{problem}; nothing was uploaded. Check the export, then re-run with "
                           "force: true to send it anyway.")


@dataclass(frozen=True)
class ExportSize:
    """The size guard's verdict on an export: the submission it was compared with (None when
    there was none to compare with), why it should not be sent without a second look (None when
    it may go), and a sentence saying either."""

    compared_with: Submission | None
    problem: str | None
    description: str


def judge_export_size(rows: int, quarter: FiscalQuarter, submissions: Iterable[Submission],
                      max_change: float) -> ExportSize:
    """The size guard of the upload, and of the check that shows it.

    An empty export is never sent. Otherwise its row count is compared with the latest
    submission of the same quarter a year earlier: windows are fiscal year to date (Q1's covers
    3 months, Q4's 12), so only that quarter's export is comparable, and any other would flag
    every Q1 against the Q4 before it. A relative change over `max_change` is flagged. With no
    such submission on record, or one sent with no children, the size is not compared and the
    verdict says so."""
    year_earlier = quarter.a_year_earlier()
    same = [s for s in submissions if s.quarter == year_earlier]
    compared = max(same, key=lambda s: s.submitted_at) if same else None
    if rows == 0:
        problem = f"the export of {quarter.label} has no children to send"
        return ExportSize(compared, problem, problem)
    if compared is None or compared.rows == 0:
        why = (f"{year_earlier.label}, the same quarter a year earlier, was sent with no children"
               if compared is not None else f"nothing was sent for {year_earlier.label}, the same "
               "quarter a year earlier and the only one whose window is as long")
        return ExportSize(compared, None, f"{rows} children; the size was not compared: {why} "
                          "(an empty export is still stopped)")
    change = (rows - compared.rows) / compared.rows
    against = (f"{change:+.0%} against {compared.rows} sent for {compared.quarter.label}, "
               "the same quarter a year earlier")
    if abs(change) > max_change:
        problem = (f"the export of {quarter.label} has {rows} children, {against} "
                   f"(more than the allowed {max_change:.0%})")
        return ExportSize(compared, problem, problem)
    return ExportSize(compared, None, f"{rows} children, {against} (within the allowed {max_change:.0%})")


def overdue(submissions: Iterable[Submission], answered_at: Mapping[FiscalQuarter, float],
            now: float, deadline_hours: float) -> list[Submission]:
    """Submissions still waiting for DPS's answer longer than the deadline, oldest first."""
    limit = deadline_hours * 3600
    return [s for s in awaiting_answer(submissions, answered_at) if now - s.submitted_at > limit]


def submission_id(submission: Submission) -> str:
    return f"{submission.quarter.partition_key}@{int(submission.submitted_at)}"
