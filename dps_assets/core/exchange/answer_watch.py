"""Deciding, from one listing of DPS's folder, whether DPS's answer has arrived and for which
quarter (spec §9). Pure: the sensor feeds it the listing, its cursor and the submission ledger.

A pair of files is handed to a quarter once: when both files are present, their size and mtime
are the same in two consecutive polls, and they are newer than a submission. The quarter is the
oldest one still waiting for an answer whose submission precedes the files; failing that (DPS
re-delivered corrected files), the latest submission that precedes them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

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
           answered_at: Mapping[FiscalQuarter, float]) -> WatchDecision:
    by_name = {f.name: f for f in listing}
    missing = [name for name in wanted if name not in by_name]
    if missing:
        present = [name for name in wanted if name in by_name]
        seen = f"; present: {', '.join(present)}" if present else ""
        return WatchDecision(WatchCursor(None, cursor.handed_over),
                             skip_reason=f"waiting for {', '.join(missing)}{seen}")
    files = tuple(by_name[name] for name in wanted)
    described = ", ".join(f"{f.name} ({f.size} bytes, mtime {f.mtime})" for f in files)
    print_ = fingerprint(files)
    if print_ in cursor.handed_over:
        return WatchDecision(cursor, skip_reason=f"{described} were already handed to a run")
    if cursor.pending != files:
        return WatchDecision(
            WatchCursor(files, cursor.handed_over),
            skip_reason=f"saw {described}; waiting one more poll to be sure they are complete",
        )
    files_mtime = min(f.mtime for f in files)
    quarter = choose_quarter(files_mtime, submissions, answered_at)
    if quarter is None:
        return WatchDecision(
            cursor, skip_reason=f"{described} are older than every submission; not for any quarter"
        )
    handed_over = (*cursor.handed_over, print_)[-_REMEMBERED:]
    return WatchDecision(WatchCursor(None, handed_over), handover=Handover(quarter, print_, files))
