"""Which submissions are still waiting for DPS's answer.

DPS reads one fixed file name, so at most one submission should be outstanding at a time. A
submission is answered once DPS results were fetched for its quarter after it was made."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dps_assets.core.errors import ExchangeError
from dps_assets.core.quarters import FiscalQuarter


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
    """The export is empty, or its size moved further from the last submission than allowed."""


def export_size_problem(rows: int, quarter: FiscalQuarter, submissions: Iterable[Submission],
                        max_change: float) -> str | None:
    """Why an export of `rows` children should not be sent without a second look, or None.

    An empty export is never sent; otherwise the row count is compared with the latest
    submission of another quarter, and a relative change over `max_change` is flagged."""
    if rows == 0:
        return f"the export of {quarter.label} has no children to send"
    previous = [s for s in submissions if s.quarter != quarter]
    if not previous:
        return None
    last = max(previous, key=lambda s: s.submitted_at)
    if last.rows == 0:
        return None
    change = (rows - last.rows) / last.rows
    if abs(change) > max_change:
        return (f"the export of {quarter.label} has {rows} children, {change:+.0%} against "
                f"{last.rows} sent for {last.quarter.label} (more than the allowed {max_change:.0%})")
    return None


def overdue(submissions: Iterable[Submission], answered_at: Mapping[FiscalQuarter, float],
            now: float, deadline_hours: float) -> list[Submission]:
    """Submissions still waiting for DPS's answer longer than the deadline, oldest first."""
    limit = deadline_hours * 3600
    return [s for s in awaiting_answer(submissions, answered_at) if now - s.submitted_at > limit]


def submission_id(submission: Submission) -> str:
    return f"{submission.quarter.partition_key}@{int(submission.submitted_at)}"
