"""The bulk reader of the results file says exactly what the layout rules say, line by line and
value by value: same frame for a good file, same error (file, line, column, message) for a bad
one. The rules applied one line and one value at a time are the oracle; files are good ones
mutated at random the ways a file can break or be merely unusual."""

import random
import unicodedata

import numpy as np
import pandas as pd
import pytest

from dps_assets.core.dps_files.layout_rules import (
    COLUMN_RULES,
    DELIMITER,
    RESULTS_COLUMNS,
    RESULTS_DATE_COLUMNS,
    column_value,
)
from dps_assets.core.dps_files.reading import DpsFileError, _split_table, parse_results

FILE = "Dfps-missing-person-results.txt"
HEADER = list(RESULTS_COLUMNS)
GOOD = [
    ["101", "M000000001", "PENA", "JOSE", "20090307", "M", "W", "EMJ", "TX2270000", "Travis",
     "20250110", "20250108", "20250112"],
    ["102", "M000000002", "DOE", "ANA", "20100101", "F", "B", "EME", "TX0150000", "Bexar", "20250202", "20250201", ""],
    ["-7", "M999999999", "NGUYỄN", "LÊ", "19991231", "F", "A", "EMO", "TX0010000", "Doña Ana",
     "20240229", "20240229", ""],
    ["+0009", "M123456789", "O'BRIEN-SMITH", "MARY ANN", "16770922", "X", "U", "EMV", "TX9990000", "SAN SABA",
     "22620411", "20000101", "20000102"],
]


def rules_reading(data: bytes) -> pd.DataFrame:
    """The rules one line and one value at a time (as the reader was before it read in bulk)."""
    table = _split_table(data, FILE, RESULTS_COLUMNS)
    header, rows = table.header, [fields for _, fields in table.rows]
    columns = {}
    for column, rule in COLUMN_RULES:
        index = header.index(column)
        columns[column] = [column_value(fields[index], column, rule, FILE, n) for n, fields in enumerate(rows, 2)]
    first = {}
    for number, nic in enumerate(columns["NIC"], start=2):
        if nic in first:
            raise DpsFileError(FILE, number, "NIC", f"the same NIC as line {first[nic]}")
        first[nic] = number
    frame = pd.DataFrame({c: pd.Series(columns[c], dtype=object) for c in RESULTS_COLUMNS})
    frame["DFPS_PERSON_ID"] = frame["DFPS_PERSON_ID"].astype("int64")
    for column in RESULTS_DATE_COLUMNS:
        frame[column] = pd.to_datetime(frame[column])
    frame["SOURCE_LINE"] = pd.Series(range(2, len(rows) + 2), dtype="int64")
    return frame


def outcome(read, data: bytes):
    try:
        return read(data)
    except DpsFileError as error:
        return (error.file_name, error.line, error.column, str(error))


def assert_same(data: bytes) -> None:
    ours, rules = outcome(lambda d: parse_results(d, FILE), data), outcome(rules_reading, data)
    if isinstance(rules, tuple) or isinstance(ours, tuple):
        assert isinstance(ours, tuple) and isinstance(rules, tuple) and ours == rules, (ours, rules, data)
    else:
        pd.testing.assert_frame_equal(ours, rules)


ODD_VALUES = ["", " ", "\u00a0", "x", "M12", "M00000000\u0661", "99999999999999999999", "9223372036854775807",
              "9223372036854775808", "-9223372036854775808", "+", "-", "+-1", "1e5", "0x1F", "20250231",
              "00010101", "16770921", "22620412", "2025-01-08", "2025010", "202501080", "EMX", "emj",
              "\u0661\u0660\u0661", "\x00", "\x0b", "\x85", "\u2028", "\ufffe", "\r", "\t", "Peña", "\u3000",
              "\"quoted\"", "#hash", "a\\b", "12 34", "EMJ ", " EMJ",
              "A" * 64, "B" * 65, "Ñ" * 40,  # read from 8-byte words up to 64 bytes, one by one beyond
              "9" * 4301, "0" * 4400 + "7"]  # more digits than Python's int() converts


def mutate(rng: random.Random, header: list[str], rows: list[list[str]]) -> None:
    row = rng.randrange(len(rows))
    kind = rng.randrange(7)
    column = rng.randrange(len(rows[row]))
    if kind == 0:
        rows[row][column] = rng.choice(ODD_VALUES)
    elif kind == 1:
        padded = rng.choice([" ", "  ", "\u00a0", "\u2003"]) + rows[row][column] + rng.choice(["", " ", "\u00a0"])
        rows[row][column] = padded
    elif kind == 2:
        value = rows[row][column]
        at = rng.randrange(len(value) + 1)
        rows[row][column] = value[:at] + rng.choice(ODD_VALUES) + value[at:]
    elif kind == 3:
        del rows[row][column]
    elif kind == 4:
        rows[row].insert(column, rng.choice(ODD_VALUES))
    elif kind == 5:
        nic = header.index("NIC") if "NIC" in header else 1
        other = rows[rng.randrange(len(rows))]
        if len(rows[row]) > nic and len(other) > nic:
            rows[row][nic] = other[nic]  # a repeated NIC
    else:
        rows[row] = [""] if rng.random() < 0.5 else [" "]  # a blank line


def render(rng: random.Random, header: list[str], rows: list[list[str]]) -> bytes:
    newline = rng.choice(["\r\n", "\n"])
    text = newline.join(DELIMITER.join(r) for r in [header, *rows])
    text += rng.choice(["", newline, newline * 3, newline + "   " + newline, newline + " \r"])
    data = text.encode("utf-8", errors="surrogateescape")
    if rng.random() < 0.3:
        data = b"\xef\xbb\xbf" + data
    if rng.random() < 0.05:
        at = rng.randrange(len(data))
        data = data[:at] + rng.choice([b"\xff", b"\xc3", b"\r", b"\x00"]) + data[at:]
    return data


@pytest.fixture(params=["one core", "two cores"])
def cores(request, monkeypatch):
    """The reader on one core, and sharing every file, however small, between two threads."""
    from dps_assets.core.dps_files import parallel, results_reader

    if request.param == "two cores":
        monkeypatch.setattr(parallel, "threads", lambda: 2)
        monkeypatch.setattr(results_reader, "_PARALLEL_FROM", 0)
    else:
        monkeypatch.setattr(parallel, "threads", lambda: 1)
    return request.param


def test_the_bulk_reader_says_what_the_rules_say_on_random_files(cores):
    rng = random.Random(11)
    for _ in range(1500 if cores == "one core" else 300):
        header = HEADER.copy()
        rows = [row.copy() for row in GOOD for _ in range(rng.randint(1, 3))]
        for number, row in enumerate(rows):
            row[1] = f"M{number:09d}" if rng.random() < 0.9 else row[1]
        if rng.random() < 0.3:  # DPS may order the columns otherwise and add its own
            order = rng.sample(range(len(header)), len(header))
            header, rows = [header[i] for i in order], [[r[i] for i in order] for r in rows]
        if rng.random() < 0.2:
            header.append("EXTRA")
            rows = [r + [rng.choice(["", "x", "Peña"])] for r in rows]
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            mutate(rng, header, rows)
        assert_same(render(rng, header, rows))


@pytest.mark.parametrize("data", [
    b"", b"\r\n \r\n", DELIMITER.join(HEADER).encode(), DELIMITER.join(HEADER).encode() + b"\r\n  \r",
    (DELIMITER.join(HEADER) + "\n" + DELIMITER.join(GOOD[0])).encode(),  # no final line end
    (DELIMITER.join(HEADER) + "\n" + DELIMITER.join(GOOD[0]) + "\r").encode(),
    (DELIMITER.join(HEADER) + "\n" + " | ".join(GOOD[1]) + " ").encode(),
])
def test_edges_of_the_file(data):
    assert_same(data)


def test_values_padded_with_other_white_space_are_read_as_the_rules_read_them():
    # str.strip() drops a no-break space around a value; the bulk path leaves such a value to the rule.
    row = GOOD[0].copy()
    row[0], row[4], row[9] = "\u00a0101", "20090307\u3000", " \u00a0Travis "
    frame = parse_results((DELIMITER.join(HEADER) + "\r\n" + DELIMITER.join(row) + "\r\n").encode(), FILE)
    assert frame.loc[0, "DFPS_PERSON_ID"] == 101 and frame.loc[0, "AGENCY_COUNTY"] == "Travis"
    assert frame.loc[0, "DOB"] == pd.Timestamp("2009-03-07")


def test_a_large_file_is_read_with_its_types_and_lines(cores):
    rows = [[str(1000 + i % 97), f"M{i:09d}", "DOE", "JAN", "20100101", "M", "W", "EMJ", "TX0000000", "Travis",
             "20250110", f"202501{1 + i % 28:02d}", "" if i % 3 else "20250301"] for i in range(20_000)]
    data = ("\ufeff" + "\r\n".join(DELIMITER.join(r) for r in [HEADER, *rows]) + "\r\n").encode()
    frame = parse_results(data, FILE)
    pd.testing.assert_frame_equal(frame, rules_reading(data))
    assert frame["SOURCE_LINE"].iloc[-1] == 20_001 and frame["CLEAR_DATE"].isna().sum() == 13_333
    assert frame.dtypes["MISSING_DATE"] == np.dtype("datetime64[ns]")
    broken = data.replace(b"M000019998|", b"M00001999|")
    with pytest.raises(DpsFileError, match="line 20000, column NIC: expected M followed by 9 digits"):
        parse_results(broken, FILE)


@pytest.mark.parametrize("digits", range(0, 21))
@pytest.mark.parametrize("sign", ["", "+", "-", " ", "0"])
def test_ids_of_every_length_read_eight_digits_at_a_time(digits, sign):
    rows = []
    for number in range(4):
        row = GOOD[number].copy()
        row[0] = sign + "".join(str((number + k * 7) % 10) for k in range(digits))
        row[1] = f"M{number:09d}"
        rows.append(row)
    rows[1][0] = rows[1][0][:-1] + "x" if digits else rows[1][0]  # a non-digit in the lowest place
    assert_same(("\r\n".join(DELIMITER.join(r) for r in [HEADER, *rows[2:], rows[0]])).encode())
    assert_same(("\r\n".join(DELIMITER.join(r) for r in [HEADER, *rows])).encode())


def test_text_whose_words_fold_to_one_key_is_still_read_value_by_value():
    # Two 16-byte ASCII values (a0, a1) and (b0, b1) that _distinct_decoded folds to one key,
    # a0 * MIX ^ a1 == b0 * MIX ^ b1: b1 worked out for many b0 until it is printable ASCII too.
    from dps_assets.core.dps_files.results_reader import _MIX, _distinct_decoded

    rng = np.random.default_rng(2)
    a0, a1, b0 = (rng.integers(65, 91, (n, 8), dtype=np.uint8).view("<u8").ravel() for n in (1, 1, 200_000))
    with np.errstate(over="ignore"):
        b1 = (a0 * _MIX ^ a1) ^ (b0 * _MIX)
    printable = ((b1.view(np.uint8).reshape(-1, 8) >= 33) & (b1.view(np.uint8).reshape(-1, 8) <= 126)).all(axis=1)
    found = np.flatnonzero(printable)[0]
    with np.errstate(over="ignore"):
        assert a0[0] * _MIX ^ a1[0] == b0[found] * _MIX ^ b1[found]
    words = np.array([[a0[0], a1[0]], [b0[found], b1[found]], [a0[0], a1[0]], [a0[0], 0]], dtype="<u8")
    texts = [row.tobytes().rstrip(b"\0").decode() for row in words]
    assert texts[0] != texts[1] and len(set(texts)) == 3
    assert _distinct_decoded(words).tolist() == texts


def test_text_is_decoded_a_block_of_rows_at_a_time_and_every_row_once():
    from dps_assets.core.dps_files.results_reader import _DECODED_AT_ONCE, _decoded

    texts = [f"M{i:09d}" + "X" * (i % 7) for i in range(_DECODED_AT_ONCE + 5)]
    words = np.frombuffer(b"".join(t.encode().ljust(16, b"\0") for t in texts), dtype="<u8").reshape(-1, 2)
    assert _decoded(words).tolist() == texts


NFD_ZOE = unicodedata.normalize("NFD", "ZOË")
ACCENTED = ["PEÑA", "ZOË", NFD_ZOE, "HERNÁNDEZ-A", "HERNÁNDEZ-B", "NGUYỄN",
            unicodedata.normalize("NFD", "NGUYỄN"),
            "ДМИТРИЙ", "ДМИТРИЙ-ИВАН", "\u00a0PEÑA", "PEÑA\u3000", "Ñ" * 32, "Ñ" * 33, "É"]
# Bytes a line rule refuses inside text: not UTF-8 (a stray byte, a cut character, an overlong or
# surrogate encoding), or UTF-8 for a C1 control, a line separator, a non-character.
REFUSED = [b"\xff", b"\xc3", b"\xe1\xbb", b"\xc0\xaf", b"\xed\xa0\x80", "\x85".encode(), "\u2028".encode(),
           "\ufffe".encode()]


def test_accented_text_is_read_as_the_rules_read_it(cores):
    rng = random.Random(5)
    for _ in range(300 if cores == "one core" else 100):
        rows = [row.copy() for row in GOOD for _ in range(rng.randint(1, 4))]
        for number, row in enumerate(rows):
            row[1] = f"M{number:09d}"
            row[2], row[3], row[9] = (rng.choice(ACCENTED) if rng.random() < 0.6 else row[i] for i in (2, 3, 9))
        for _ in range(rng.choice([0, 0, 1, 2])):  # refused bytes spliced into a value, near accents or not
            row, column = rng.choice(rows), rng.choice([2, 3, 9, 0, 4])
            at = rng.randrange(len(row[column]) + 1)
            row[column] = (row[column][:at] + rng.choice(REFUSED).decode("utf-8", errors="surrogateescape")
                           + row[column][at:])
        if rng.random() < 0.2:
            del rng.choice(rows)[rng.randrange(13)]  # a line with a field missing, before or after
        assert_same(render(rng, HEADER, rows))


def test_each_accented_value_reads_as_it_was_sent(cores):
    # Each distinct value is decoded once: values alike in their first 8 bytes, and the composed
    # and decomposed forms of one name, stay apart; nothing is normalised.
    names = [ACCENTED[i % len(ACCENTED)] for i in range(3000)]
    rows = [GOOD[i % 3][:1] + [f"M{i:09d}", name, name[::-1], *GOOD[i % 3][4:]] for i, name in enumerate(names)]
    frame = parse_results(("\r\n".join(DELIMITER.join(r) for r in [HEADER, *rows]) + "\r\n").encode(), FILE)
    assert frame["LAST_NAME"].tolist() == [row[2].strip() for row in rows]
    assert frame["FIRST_NAME"].tolist() == [row[3].strip() for row in rows]
    read = set(frame["LAST_NAME"])
    assert {"HERNÁNDEZ-A", "HERNÁNDEZ-B", "ZOË", NFD_ZOE, "Ñ" * 32, "Ñ" * 33} <= read and "ZOË" != NFD_ZOE


@pytest.mark.parametrize("refused, problem", [
    (b"\xc3", "bytes that are not valid UTF-8 at character 3 of the field"),
    (b"\xed\xa0\x80", "bytes that are not valid UTF-8 at character 3 of the field"),
    ("\x85".encode(), "a control character U+0085 at character 3 of the field"),
])
def test_text_that_is_not_utf8_is_refused_at_its_line_and_column(cores, refused, problem):
    rows = [[str(100 + i), f"M{i:09d}", "PEÑA" if i % 2 else "ZOË", "JOSÉ", *GOOD[0][4:]] for i in range(5000)]
    lines = [DELIMITER.join(r).encode() for r in [HEADER, *rows]]
    for line in (4001, 2501):  # the same bytes on two lines (both PEÑA): the first is named
        lines[line - 1] = lines[line - 1].replace("PEÑA".encode(), b"PE" + refused + "ÑA".encode())
    with pytest.raises(DpsFileError) as raised:
        parse_results(b"\r\n".join(lines), FILE)
    assert (raised.value.line, raised.value.column, raised.value.problem) == (2501, "LAST_NAME", problem)
    lines[2000 - 1] = lines[2000 - 1].replace(b"|M", b"M", 1)  # a line before it, one field short
    with pytest.raises(DpsFileError, match="line 2000: 12 field"):
        parse_results(b"\r\n".join(lines), FILE)
