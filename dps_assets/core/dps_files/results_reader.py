"""Reading `Dfps-missing-person-results.txt` (spec §4) in bulk: a million rows in about the
time DuckDB's `read_csv` takes, with every check of layout_rules.

The file's lines are found by scanning its bytes (results_scan), which hands the lines that might
break a line rule to `check_line`; then its columns are read here. The typed columns (ids, NICs,
MKE codes, dates) are read straight from the bytes; a value whose bytes are not plainly good (say,
not 8 ASCII digits for a date) is handed to its column's rule, column by column in the rules'
order, so the error is the one the rules give for the first broken value. The text columns are
read from the bytes too, each distinct value decoded once, accented or not. So the rules decide
every doubtful case and the bulk path only ever accepts values they accept."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd

from dps_assets.core.dps_files.layout_rules import (
    COLUMN_RULES,
    DELIMITER,
    FIRST_DAY,
    LAST_DAY,
    MKE_CODES,
    OPTIONAL_COLUMNS,
    RESULTS_COLUMNS,
    RESULTS_DATE_COLUMNS,
    DpsFileError,
    column_value,
    read_header,
    refuse_cr_only,
    without_bom,
)
from dps_assets.core.dps_files.parallel import in_parallel
from dps_assets.core.dps_files.results_scan import Lines, end_of_last_line, scan, stripped

_PARALLEL_FROM = 1 << 20  # bytes of lines from which the scan and the columns are shared between cores
_MKE_KEYS = np.array([ord(code[0]) | (ord(code[1]) << 8) | (ord(code[2]) << 16) for code in sorted(MKE_CODES)],
                     dtype=np.int64)


def read_results(data: bytes, file_name: str) -> pd.DataFrame:
    offset = without_bom(data)
    refuse_cr_only(data, file_name)
    end = end_of_last_line(data, offset)
    if end == offset:
        raise DpsFileError(file_name, None, None, "the file is empty (no header line)")
    header_end = data.find(b"\n", offset, end)
    header_line = data[offset:end if header_end < 0 else header_end]
    header_line = header_line[:-1] if header_line.endswith(b"\r") else header_line
    header = read_header(header_line.decode("utf-8", errors="surrogateescape"), file_name, RESULTS_COLUMNS)
    named = [name if name in RESULTS_COLUMNS else None for name in header]
    if header_end < 0:
        return _frame({c: [] for c in RESULTS_COLUMNS}, np.zeros(0, np.int64))
    # The line rules first (a refused file is not parsed further), then every column from the
    # bytes, the columns at once on the machine's cores.
    shared = end - (header_end + 1) >= _PARALLEL_FROM
    lines = scan(data, header_end + 1, end, len(header), file_name, named, worth_it=shared)
    read = dict(zip(RESULTS_COLUMNS, in_parallel(*(partial(_column, lines, header.index(column), column)
                                                    for column in RESULTS_COLUMNS), worth_it=shared), strict=True))
    values = {column: got.values for column, got in read.items()}
    doubtful = {column: got.doubtful for column, got in read.items()}
    ids, nic_numbers = values["DFPS_PERSON_ID"], read["NIC"].numbers
    for column, rule in COLUMN_RULES:  # the doubtful values, by the rules, in the rules' order
        index = header.index(column)
        for row in np.flatnonzero(doubtful[column]).tolist():
            value = column_value(lines.text(row).split(DELIMITER)[index].strip(), column, rule, file_name, row + 2)
            if column == "NIC" and isinstance(value, str):
                nic_numbers[row] = int(value[1:])
            elif column in RESULTS_DATE_COLUMNS:  # a date, or None where empty and allowed
                values[column][row] = np.datetime64(value, "D") if isinstance(value, date) else np.datetime64("NaT")
            elif column == "DFPS_PERSON_ID":
                ids[row] = value
    _refuse_repeated_nics(nic_numbers, file_name)
    return _frame(values, np.arange(2, len(lines.starts) + 2, dtype=np.int64))


class _Column(NamedTuple):
    values: np.ndarray
    doubtful: np.ndarray  # where the value is left to its column's rule
    numbers: np.ndarray | None = None  # NICs: their numbers (M and nine digits)


def _column(lines: Lines, index: int, column: str) -> _Column:
    """One column of every line, read from its bytes."""
    start, end = stripped(lines, index)
    if column == "DFPS_PERSON_ID":
        return _Column(*_integers(lines, start, end))
    if column in RESULTS_DATE_COLUMNS:
        return _Column(*_days(lines, start, end, column in OPTIONAL_COLUMNS))
    # NICs are all distinct (a repeat is refused): not looked for among them
    values, doubtful = _text(lines, start, end, repeats=column != "NIC")
    if column == "NIC":
        numbers, ok = _nic_numbers(lines, start, end)
        return _Column(values, doubtful | ~ok, numbers)
    if column == "MKE":
        doubtful |= ~_mke_ok(lines, start, end)
    return _Column(values, doubtful)


def _text(lines: Lines, start: np.ndarray, end: np.ndarray, repeats: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each line's field from `start` to `end` as text, and which are empty. Fields of up to 64
    bytes are read as 8-byte words and, where values `repeats`, each distinct value is decoded
    once (a million rows of a column name a few hundred surnames, accented or not; non-ASCII ones,
    which may hold Unicode white space, stripped). The others (longer fields, and non-ASCII ones
    among values that do not repeat: NICs, which their rule refuses) are decoded and stripped one
    by one."""
    length = end - start
    one_by_one = length > 8 * _MOST_WORDS
    words = _words(lines, start, np.where(one_by_one, 0, length))
    non_ascii = (words & _HIGH_BITS).any(axis=1)
    empty = length == 0
    if repeats:
        values = _distinct_decoded(words)
        accented = np.flatnonzero(non_ascii)  # stripped of Unicode white space, it may be empty
        empty[accented] = values[accented] == ""
    else:
        one_by_one |= non_ascii
        words[non_ascii] = 0
        values = _decoded(words)
    rows = np.flatnonzero(one_by_one)
    if len(rows):
        at = lines.body_start
        texts = [lines.data[at + s:at + e].decode("utf-8", errors="surrogateescape").strip()
                 for s, e in zip(start[rows].tolist(), end[rows].tolist(), strict=True)]
        values[rows] = np.array(texts, dtype=object)
        empty[rows] = np.array([text == "" for text in texts], dtype=bool)
    return values, empty


_MOST_WORDS = 8  # fields read from their bytes: up to 64 bytes
_DECODED_AT_ONCE = 1 << 16
_MIX = np.uint64(0x9E3779B97F4A7C15)  # an odd constant: folds a field's words into one 64-bit key


def _words(lines: Lines, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """(fields, words): each field's bytes as little-endian uint64 words, zero past its length."""
    count = max(1, -(-int(length.max(initial=0)) // 8))
    words = np.empty((len(start), count), dtype="<u8")
    for i in range(count):
        words[:, i] = lines.word_of(start + 8 * i, np.clip(length - 8 * i, 0, 8))
    return words


def _distinct_decoded(words: np.ndarray) -> np.ndarray:
    """The text each row of `words` holds (`_utf8_decoded`), as an object array: decoded once per
    distinct value. Rows are told apart by one key folded from their words, checked against the
    words themselves (a fold that gives two values one key is decoded row by row)."""
    key = words[:, 0].copy()
    for i in range(1, words.shape[1]):
        key = key * _MIX ^ words[:, i]
    codes, keys = pd.factorize(key)
    one = np.empty(len(keys), dtype=np.int64)
    one[codes] = np.arange(len(codes))  # a row of each key (which one, numpy does not say)
    if words.shape[1] > 1 and not (words[one][codes] == words).all():
        return _utf8_decoded(words)
    return _utf8_decoded(words[one])[codes]


_HIGH_BITS = np.uint64(0x8080808080808080)


def _utf8_decoded(words: np.ndarray) -> np.ndarray:
    """The text each row of `words` holds (zero bytes past its end), as an object array: ASCII rows
    by `_decoded`, rows with a byte above 127 as UTF-8 one by one (lines that are not UTF-8 were
    refused by the scan), stripped of white space as the rules strip a field."""
    high = np.flatnonzero((words & _HIGH_BITS).any(axis=1))
    if not len(high):
        return _decoded(words)
    plain = words.copy()
    plain[high] = 0
    texts = _decoded(plain)
    texts[high] = [row.tobytes().rstrip(b"\0").decode("utf-8", errors="surrogateescape").strip()
                   for row in words[high]]
    return texts


def _decoded(words: np.ndarray) -> np.ndarray:
    """The ASCII text each row of `words` holds (zero bytes past its end), as an object array;
    decoded _DECODED_AT_ONCE rows at a time (one 64-byte field widens every row of its column to
    256 bytes of UCS-4 on the way)."""
    width = 8 * words.shape[1]
    raw = np.ascontiguousarray(words).view(f"S{width}").ravel()
    texts = np.empty(len(raw), dtype=object)
    for at in range(0, len(raw), _DECODED_AT_ONCE):
        texts[at:at + _DECODED_AT_ONCE] = raw[at:at + _DECODED_AT_ONCE].astype(f"U{width}")
    return texts


def _frame(values: dict[str, object], source_lines: np.ndarray) -> pd.DataFrame:
    # Column by column: building from a dict would copy every object column into one block.
    frame = pd.DataFrame(index=pd.RangeIndex(len(source_lines)))
    for column in RESULTS_COLUMNS:
        if column == "DFPS_PERSON_ID":
            frame[column] = np.asarray(values[column], dtype=np.int64)
        elif column in RESULTS_DATE_COLUMNS:
            frame[column] = np.asarray(values[column], dtype="datetime64[D]").astype("datetime64[ns]")
        else:
            frame[column] = np.asarray(values[column], dtype=object)
    frame["SOURCE_LINE"] = source_lines
    return frame


_ZEROS = np.uint64(0x3030303030303030)
_HIGH_NIBBLES = np.uint64(0xF0F0F0F0F0F0F0F0)
_SIXES = np.uint64(0x0606060606060606)


def _eight_digits(word: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The number 8 bytes write (first byte most significant), and whether all are ASCII digits:
    each byte 0x30..0x39, i.e. its high nibble 3 and its low nibble not carried over by adding 6."""
    ok = ((word & _HIGH_NIBBLES) == _ZEROS) & (((word + _SIXES) & _HIGH_NIBBLES) == _ZEROS)
    d = word - _ZEROS
    d = (d * np.uint64(10) + (d >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    d = (d * np.uint64(100) + (d >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    d = (d * np.uint64(10000) + (d >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return d.astype(np.int64), ok


def _last_digits(lines: Lines, end: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The number the `count` (0..8) bytes before `end` write, and whether they are digits."""
    word = lines.word(end - 8)
    kept = np.where(count > 0, ~np.uint64(0) << (np.uint64(8) * (8 - np.clip(count, 1, 8)).astype(np.uint64)),
                    np.uint64(0))
    return _eight_digits((word & kept) | (_ZEROS & ~kept))  # the bytes before the digits as zeros


def _integers(lines: Lines, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    first = lines.byte(start)
    signed = (end > start) & ((first == ord("+")) | (first == ord("-")))
    length = end - (start + signed)
    low, low_ok = _last_digits(lines, end, np.minimum(length, 8))
    high, high_ok = _last_digits(lines, end - 8, np.clip(length - 8, 0, 8))
    ok = (length >= 1) & (length <= 16) & low_ok & high_ok  # longer ones are left to the rule
    number = high * 100_000_000 + low
    return np.where(signed & (first == ord("-")), -number, number), ~ok


def _nic_numbers(lines: Lines, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    number, digits = _eight_digits(lines.word(start + 1))
    last = lines.byte(start + 9).astype(np.int64) - ord("0")
    ok = (end - start == 10) & (lines.byte(start) == ord("M")) & digits & (last >= 0) & (last <= 9)
    return number * 10 + last, ok


def _mke_ok(lines: Lines, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    key = (lines.word(start) & np.uint64(0xFFFFFF)).astype(np.int64)
    ok: np.ndarray = (end - start == 3) & np.isin(key, _MKE_KEYS)
    return ok


def _days(lines: Lines, start: np.ndarray, end: np.ndarray, optional: bool) -> tuple[np.ndarray, np.ndarray]:
    """Dates YYYYMMDD as datetime64[D] (NaT where empty and allowed), and which are doubtful."""
    number, digits = _eight_digits(lines.word(start))
    year, month, day = number // 10000, number // 100 % 100, number % 100
    ok = digits & (end - start == 8) & (month >= 1) & (month <= 12) & (day >= 1)
    first_of_month = ((year - 1970) * 12 + np.where(ok, month, 1) - 1).astype("datetime64[M]")
    days = first_of_month.astype("datetime64[D]") + (day - 1)
    ok &= days < (first_of_month + 1).astype("datetime64[D]")
    ok &= (days >= np.datetime64(FIRST_DAY)) & (days <= np.datetime64(LAST_DAY))
    empty = end == start
    days[~ok] = np.datetime64("NaT")
    if optional:
        ok |= empty
    return days, ~ok


def _refuse_repeated_nics(numbers: np.ndarray, file_name: str) -> None:
    repeated = pd.Series(numbers).duplicated(keep="first").to_numpy()
    if repeated.any():
        row = int(np.argmax(repeated))
        first = int(np.argmax(numbers == numbers[row]))
        raise DpsFileError(file_name, row + 2, "NIC", f"the same NIC as line {first + 2}")
