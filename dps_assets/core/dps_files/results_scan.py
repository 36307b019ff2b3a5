"""The byte scans of `Dfps-missing-person-results.txt` for its bulk reader (results_reader).

The bytes are scanned with numpy: line ends, delimiters, and any byte outside printable ASCII
(control characters, stray CRs, non-ASCII text). Lines that might break a line rule (a control
character or stray CR, non-ASCII text that is not UTF-8 or holds a character the rules refuse,
the wrong number of delimiters) are handed to `check_line`, in line order. Non-ASCII text is
judged a run of bytes above 127 at a time, each distinct run once, so accented names cost what
ASCII ones do. What the scan finds (`Lines`) is where each line and each field starts and ends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from dps_assets.core.dps_files.layout_rules import DELIMITER, blank, check_line
from dps_assets.core.dps_files.parallel import in_parallel
from dps_assets.core.privacy.shapes import CONTROL_CHARACTERS

_NL, _CR, _SPACE, _PIPE = 10, 13, 32, ord(DELIMITER)
_BLOCK = 1 << 22  # bytes scanned at a time (keeps the masks small)


@dataclass
class Lines:
    """The data lines of the file, as offsets into `body` (line ends and a final CR excluded)."""

    data: bytes
    body_start: int
    body: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    delimiters: np.ndarray  # (lines, fields - 1): where each line's delimiters are
    to_strip: np.ndarray    # bool per line: a field may have ASCII spaces around it
    non_ascii: np.ndarray   # where the bytes above 127 are, in order

    def text(self, row: int) -> str:
        return self.data[self.body_start + self.starts[row]:self.body_start + self.ends[row]].decode(
            "utf-8", errors="surrogateescape")

    def bounds(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Where field `index` of every line starts and ends."""
        last = self.delimiters.shape[1]
        start = self.starts if index == 0 else self.delimiters[:, index - 1] + 1
        end = self.ends if index == last else self.delimiters[:, index]
        return start, end

    def byte(self, at: np.ndarray) -> np.ndarray:
        picked: np.ndarray = self.body[np.minimum(at, len(self.body) - 1)]
        return picked

    def word(self, at: np.ndarray) -> np.ndarray:
        """The 8 bytes from `at` on as one little-endian uint64 each (the first byte lowest)."""
        words = np.ndarray((len(self.data) - 7,), dtype="<u8", buffer=self.data, strides=(1,))
        position = np.maximum(self.body_start + at, 0)
        word: np.ndarray = words[np.minimum(position, len(words) - 1)]
        over = np.flatnonzero(position >= len(words))
        if len(over):  # words that would run off the end: from the last bytes, padded
            tail = np.ndarray((17,), dtype="<u8", buffer=self.data[-16:] + bytes(8), strides=(1,))
            word[over] = tail[np.minimum(position[over] - (len(self.data) - 16), 16)]
        return word

    def word_of(self, at: np.ndarray, length: np.ndarray) -> np.ndarray:
        """The `length` (0 to 8) bytes from `at` on as one word, zero past them."""
        kept = np.where(length >= 8, ~np.uint64(0),
                        (np.uint64(1) << (np.uint64(8) * np.clip(length, 0, 7).astype(np.uint64))) - np.uint64(1))
        return self.word(at) & kept


def end_of_last_line(data: bytes, offset: int) -> int:
    """Where the text ends once trailing blank lines are dropped (`offset` if it is all blank)."""
    end = len(data)
    while end > offset:
        newline = data.rfind(b"\n", offset, end)
        line = data[newline + 1 if newline >= 0 else offset:end]
        if not blank(line[:-1] if line.endswith(b"\r") else line):
            return end
        end = newline if newline >= 0 else offset
    return end


def _positions(body: np.ndarray, wanted: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Offsets in `body` where `wanted(bytes)` holds, scanned a block at a time."""
    found = [np.flatnonzero(wanted(body[at:at + _BLOCK])) + at for at in range(0, len(body), _BLOCK)]
    return np.concatenate(found) if found else np.zeros(0, np.int64)


def scan(data: bytes, body_start: int, end: int, fields: int, file_name: str,
         named: list[str | None], worth_it: bool) -> Lines:
    """The line structure; every line that might break a line rule is checked by `check_line`.
    `worth_it`: the scan is shared between the machine's cores."""
    body = np.frombuffer(data, dtype=np.uint8)[body_start:end]
    newlines, odd, delimiters, spaces = in_parallel(
        partial(_positions, body, lambda b: b == _NL),
        partial(_positions, body, lambda b: ((b < _SPACE) & (b != _NL)) | (b > 126)),
        partial(_positions, body, lambda b: b == _PIPE),
        partial(_positions, body, lambda b: b == _SPACE), worth_it=worth_it)
    starts = np.concatenate([[0], newlines + 1])
    ends = np.concatenate([newlines, [len(body)]])
    ends -= (ends > starts) & (body[np.maximum(ends - 1, 0)] == _CR) if len(body) else 0
    odd_line = np.searchsorted(newlines, odd)
    line_end_cr = (body[odd] == _CR) & (odd == ends[odd_line])
    high = body[odd] > 127
    to_strip = np.zeros(len(starts), bool)
    per_line = np.diff(np.append(np.searchsorted(delimiters, starts), len(delimiters)))
    # A space next to a delimiter or a line end: that line's fields are stripped one by one.
    before, after = body[np.maximum(spaces - 1, 0)], body[np.minimum(spaces + 1, len(body) - 1)]
    edge = ((spaces == 0) | (before == _PIPE) | (before == _NL) | (spaces == len(body) - 1)
            | (after == _PIPE) | (after == _CR) | (after == _NL))
    to_strip[np.searchsorted(newlines, spaces[edge])] = True
    lines = Lines(data, body_start, body, starts, ends, np.zeros((0, fields - 1), np.int64), to_strip, odd[high])
    suspects = np.union1d(odd_line[~line_end_cr & ~high], np.flatnonzero(per_line != fields - 1))
    suspects = np.union1d(suspects, np.searchsorted(newlines, _refused_runs(lines, lines.non_ascii)))
    for row in suspects:
        check_line(file_name, int(row) + 2, lines.text(row), named)
    lines.delimiters = delimiters.reshape(len(starts), fields - 1)
    return lines


def _refused_runs(lines: Lines, at: np.ndarray) -> np.ndarray:
    """Where the runs of bytes above 127 (at `at`, in order) start whose text a line rule refuses:
    bytes that are not UTF-8, or a character that is not text (C1 controls, line and paragraph
    separators, U+FFFE, U+FFFF). Every byte of a multi-byte UTF-8 character is above 127, so a
    line's bytes are UTF-8 when each such run of them is. Runs of up to 8 bytes (an accented letter
    or two) are told apart by their bytes as one word, each distinct run judged once; longer ones
    (whole words in another script) by their bytes, each distinct one judged once."""
    if not len(at):
        return at
    first = np.flatnonzero(np.r_[True, np.diff(at) != 1])
    start, length = at[first], np.diff(np.r_[first, len(at)])
    short = length <= 8
    # The bytes of a run are all above 127, never 0: a word masked to its length is that run alone.
    distinct, codes = np.unique(lines.word_of(start, np.where(short, length, 0)), return_inverse=True)
    refused = np.array([_refused(int(word).to_bytes(8, "little").rstrip(b"\0")) for word in distinct.tolist()])
    refused = refused[codes] & short
    longer = np.flatnonzero(~short)
    if len(longer):
        at_data = lines.body_start + start[longer]
        runs = [lines.data[s:s + n] for s, n in zip(at_data.tolist(), length[longer].tolist(), strict=True)]
        bad = {run for run in set(runs) if _refused(run)}
        refused[longer] = [run in bad for run in runs]
    found: np.ndarray = start[refused]
    return found


def _refused(run: bytes) -> bool:
    try:
        return CONTROL_CHARACTERS.search(run.decode("utf-8")) is not None
    except UnicodeDecodeError:
        return True


def stripped(lines: Lines, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Field bounds without surrounding ASCII spaces (other white space makes a value doubtful,
    or is stripped from non-ASCII text once it is decoded). Only the lines with a space next to a
    delimiter or a line end are looked at."""
    start, end = lines.bounds(index)
    rows = np.flatnonzero(lines.to_strip)
    if not len(rows):
        return start, end
    first, last = start[rows], end[rows]
    while (lead := (first < last) & (lines.byte(first) == _SPACE)).any():
        first = first + lead
    while (trail := (last > first) & (lines.byte(last - 1) == _SPACE)).any():
        last = last - trail
    start, end = start.copy(), end.copy()  # not the scan's own arrays
    start[rows], end[rows] = first, last
    return start, end
