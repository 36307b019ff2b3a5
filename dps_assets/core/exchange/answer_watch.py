"""Deciding, from one listing of DPS's folder, whether DPS's answer has arrived and for which
quarter (spec §9). Pure: the sensor feeds it the listing, its cursor and the submission ledger.

A pair of files is handed to a quarter once: when both files are present, their size and mtime
are the same in two consecutive polls, and they are newer than a submission. The quarter is the
oldest one still waiting for an answer whose submission precedes the files; failing that (DPS
re-delivered corrected files), the latest submission that precedes them. Every poll that hands
nothing over says why, in words an analyst reads on the sensor's ticks (`WatchDecision.skip_reason`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from dps_assets.core.exchange.agency_time import us_epoch_time
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.exchange.submissions import Submission, awaiting_answer, latest_per_quarter

# How many handed-over fingerprints the cursor remembers (run keys guard beyond that).
_REMEMBERED = 50


@dataclass(frozen=True)
class FileState:
    name: str
    size: int
    mtime: int

    def as_list(self) -> list[str | int]:
        return [self.name, self.size, self.mtime]

    def in_words(self) -> str:
        """`Dfps-missing-person-counts.txt (111 bytes, written Dec 6, 2026 9:14 AM CST)`."""
        return f"{self.name} ({self.size:,} bytes, written {us_epoch_time(self.mtime)})"


@dataclass(frozen=True)
class WatchCursor:
    pending: tuple[FileState, ...] | None = None   # the pair seen at the previous poll
    handed_over: tuple[str, ...] = ()               # fingerprints already given to a run

    def to_json(self) -> str:
        return json.dumps({
            "pending": [f.as_list() for f in self.pending] if self.pending else None,
            "handed_over": list(self.handed_over),
        }, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> WatchCursor:
        if not text:
            return cls()
        data = json.loads(text)
        pending = data.get("pending")
        return cls(
            pending=tuple(FileState(*item) for item in pending) if pending else None,
            handed_over=tuple(data.get("handed_over", ())),
        )


@dataclass(frozen=True)
class Handover:
    quarter: FiscalQuarter
    fingerprint: str
    files: tuple[FileState, ...]

    @property
    def run_key(self) -> str:
        return f"dps-files-{self.quarter.partition_key}-{self.fingerprint}"


@dataclass(frozen=True)
class WatchDecision:
    cursor: WatchCursor
    handover: Handover | None = None
    skip_reason: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HandedOverRun:
    """The run that DPS's files were handed to, as the instance knows it."""

    run_id: str
    quarter_label: str | None
    status: str


def fingerprint(files: Sequence[FileState]) -> str:
    text = "|".join(f"{f.name}:{f.size}:{f.mtime}" for f in files)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def choose_quarter(files_mtime: int, submissions: Iterable[Submission],
                   answered_at: Mapping[FiscalQuarter, float]) -> FiscalQuarter | None:
    submissions = list(submissions)
    # SFTP mtimes are whole seconds: compare against the second the submission was made in.
    preceding = [s for s in awaiting_answer(submissions, answered_at) if int(s.submitted_at) <= files_mtime]
    if preceding:
        return preceding[0].quarter
    earlier = [s for s in latest_per_quarter(submissions).values() if int(s.submitted_at) <= files_mtime]
    if earlier:
        return max(earlier, key=lambda s: s.submitted_at).quarter
    return None


def decide(listing: Iterable[FileState], cursor: WatchCursor, wanted: Sequence[str],
           submissions: Iterable[Submission],
           answered_at: Mapping[FiscalQuarter, float],
           run_for: Callable[[str], HandedOverRun | None] = lambda _fingerprint: None) -> WatchDecision:
    """What this poll does with DPS's folder's `listing` of the `wanted` files (results, counts):
    hand them over, or say why not. `run_for` names the run a fingerprint was handed to."""
    by_name = {f.name: f for f in listing}
    missing = [name for name in wanted if name not in by_name]
    if missing:
        return WatchDecision(WatchCursor(None, cursor.handed_over),
                             skip_reason=_waiting_for(missing, [by_name[n] for n in wanted if n in by_name]))
    files = tuple(by_name[name] for name in wanted)
    described = " and ".join(f.in_words() for f in files)
    print_ = fingerprint(files)
    if print_ in cursor.handed_over:
        return WatchDecision(cursor, skip_reason=_already_handed_over(described, run_for(print_)))
    if cursor.pending != files:
        changed = "changed since the last poll" if cursor.pending else "arrived"
        return WatchDecision(
            WatchCursor(files, cursor.handed_over),
            skip_reason=f"DPS's answer has {changed}: {described}. Stable for one poll of two: "
            "handed over at the next poll if neither file changes (waiting one more poll to be "
            "sure they are complete)",
        )
    files_mtime = min(f.mtime for f in files)
    quarter = choose_quarter(files_mtime, submissions, answered_at)
    if quarter is None:
        return WatchDecision(
            cursor, skip_reason=f"{described} are older than every submission; not for any quarter, "
            "so not handed over"
        )
    handed_over = (*cursor.handed_over, print_)[-_REMEMBERED:]
    return WatchDecision(WatchCursor(None, handed_over), handover=Handover(quarter, print_, files))


def _waiting_for(missing: Sequence[str], present: Sequence[FileState]) -> str:
    if not present:
        return f"waiting for DPS's answer: neither {' nor '.join(missing)} is in DPS's folder yet"
    has = "has" if len(present) == 1 else "have"
    return f"waiting for {', '.join(missing)}; {' and '.join(f.in_words() for f in present)} {has} arrived"


def _already_handed_over(described: str, run: HandedOverRun | None) -> str:
    if run is None:  # the run is not (or no longer) in this instance: its key still guards it
        return f"{described} were already handed to a run; waiting for DPS's next answer"
    quarter = f" for {run.quarter_label}" if run.quarter_label else ""
    return (f"{described} were already handed over as run {run.run_id[:8]}{quarter} "
            f"({run.status.lower()}); waiting for DPS's next answer")
