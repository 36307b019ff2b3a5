"""Reading DPS's two files (spec §4), and rejecting a broken one with file, line and column."""

import pytest

from dps_assets.core.dps_files.reading import (
            DpsCounts,
            DpsFileError,
            count_data_lines,
            parse_counts,
            parse_results,
            reconcile,
        )

RESULTS = "Dfps-missing-person-results.txt"
COUNTS = "Dfps-missing-person-counts.txt"
HEADER = "DFPS_PERSON_ID|NIC|LAST_NAME|FIRST_NAME|DOB|SEX|RACE|MKE|ORI|AGENCY_COUNTY|ENTRY_DATE|MISSING_DATE|CLEAR_DATE"
LINE_A = "101|M000000001|PENA|JOSE|20090307|M|W|EMJ|TX2270000|Travis|20250110|20250108|20250112"
LINE_B = "102|M000000002|DOE|ANA|20100101|F|B|EME|TX0150000|Bexar|20250202|20250201|"


def results(*lines, newline="\r\n"):
    return newline.join([HEADER, *lines]).encode() + newline.encode()


def test_a_good_file_is_typed():
    frame = parse_results(results(LINE_A, LINE_B), RESULTS)
    assert frame["DFPS_PERSON_ID"].tolist() == [101, 102]
    assert frame["MISSING_DATE"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-08", "2025-02-01"]
    assert frame["CLEAR_DATE"].isna().tolist() == [False, True]
    assert frame["SOURCE_LINE"].tolist() == [2, 3]


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_bom_crlf_lf_spaces_and_trailing_blank_lines(newline):
    padded = LINE_A.replace("|", " | ")
    data = b"\xef\xbb\xbf" + results(padded, LINE_B, newline=newline) + (newline * 3).encode()
    frame = parse_results(data, RESULTS)
    assert frame["NIC"].tolist() == ["M000000001", "M000000002"]
    assert frame["AGENCY_COUNTY"].tolist() == ["Travis", "Bexar"]


def test_header_only_is_an_empty_quarter():
    assert len(parse_results(results(), RESULTS)) == 0


@pytest.mark.parametrize(
    "data, line, column, problem",
    [
        (b"", None, None, "empty"),
        (b"\r\n\r\n", None, None, "empty"),
        (results(LINE_A).replace(b"|MKE", b"|MKX"), 1, "MKE", "header lacks"),
        (results(LINE_A, LINE_B.replace("20250201", "20250231")), 3, "MISSING_DATE",
         "expected a date YYYYMMDD, found 8 digits that are not a calendar day"),
        (results(LINE_A.replace("20250108", "2025-01-08")), 2, "MISSING_DATE",
         "expected a date YYYYMMDD (8 digits), found 10 characters: digits and punctuation"),
        (results(LINE_A.replace("101|", "10x|", 1)), 2, "DFPS_PERSON_ID",
         "expected a 64-bit integer, found 3 characters: digits and letters"),
        (results(LINE_A.replace("101|", "99999999999999999999|", 1)), 2, "DFPS_PERSON_ID",
         "found 20 characters: digits outside the 64-bit range"),
        # More digits than Python's int() converts (4,300): a layout error all the same.
        (results(LINE_A, LINE_B.replace("102|", "9" * 4301 + "|", 1)), 3, "DFPS_PERSON_ID",
         "expected a 64-bit integer, found 4,301 characters: digits outside the 64-bit range"),
        (results(LINE_A.replace("101|", "-" + "1" * 100_000 + "|", 1)), 2, "DFPS_PERSON_ID",
         "found 100,001 characters: digits and punctuation outside the 64-bit range"),
        (results(LINE_A.replace("101|", "\u0661\u0660\u0661|", 1)), 2, "DFPS_PERSON_ID",
         "expected a 64-bit integer, found 3 characters: non-ASCII digits"),
        (results(LINE_A.replace("M000000001", "M00000000\u0661")), 2, "NIC",
         "expected M followed by 9 digits, found 10 characters: digits, letters and non-ASCII digits"),
        # A "no end" placeholder is not a date the file may use (an active entry has an empty CLEAR_DATE).
        (results(LINE_A.replace("|20250112", "|99991231")), 2, "CLEAR_DATE",
         "expected a date YYYYMMDD from 16770922 to 22620411, found a day outside that range"),
        (results(LINE_A, LINE_B.replace("M000000002", "M000000001")), 3, "NIC", "the same NIC as line 2"),
        (results(LINE_A.replace("M000000001", "M12")), 2, "NIC", "M followed by 9 digits"),
        (results(LINE_A.replace("EMJ", "XXX")), 2, "MKE",
         "expected one of EMD EME EMI EMJ EMO EMV, found 3 characters: letters"),
        (results(LINE_A.rsplit("|", 1)[0]), 2, None, "12 field(s), the header has 13"),
        (results(LINE_A, "", LINE_B), 3, None, "blank line"),
        (results(LINE_A.replace("20250108", "")), 2, "MISSING_DATE", "a value is required"),
        (HEADER.encode() + b"\r\n" + LINE_A.encode() + b"\xff\r\n", 2, "CLEAR_DATE",
         "bytes that are not valid UTF-8 at character 9 of the field"),
    ],
)
def test_a_broken_file_is_rejected_naming_file_line_and_column(data, line, column, problem):
    with pytest.raises(DpsFileError) as caught:
        parse_results(data, RESULTS)
    error = caught.value
    assert (error.file_name, error.line, error.column) == (RESULTS, line, column)
    assert problem in str(error)
    assert str(error).startswith(RESULTS)


@pytest.mark.parametrize("dob", ["2009030X", "00010307"])
def test_personal_values_are_not_quoted_in_errors(dob):
    with pytest.raises(DpsFileError) as caught:
        parse_results(results(LINE_A.replace("20090307", dob)), RESULTS)
    assert caught.value.column == "DOB" and dob not in str(caught.value)


def counts(*rows):
    return ("MEASURE|COUNT\r\n" + "".join(f"{r}\r\n" for r in rows)).encode()


def test_counts_ignore_other_measures():
    parsed = parse_counts(counts("RECORDS_RECEIVED|60000", "SEARCH_MS|12", "PERSONS_MATCHED|5",
                                 "MISSING_PERSON_ENTRIES|7"), COUNTS)
    assert parsed == DpsCounts(60000, 5, 7)


@pytest.mark.parametrize(
    "data, line, column, problem",
    [
        (counts("RECORDS_RECEIVED|1", "PERSONS_MATCHED|1"), None, "MEASURE", "no MISSING_PERSON_ENTRIES"),
        (counts("RECORDS_RECEIVED|x", "PERSONS_MATCHED|1", "MISSING_PERSON_ENTRIES|1"), 2, "COUNT",
         "expected a non-negative integer, found 1 character: letters"),
        (counts("RECORDS_RECEIVED|1", "RECORDS_RECEIVED|2"), 3, "MEASURE", "repeats line 2"),
        (counts("RECORDS_RECEIVED|1", "PERSONS_MATCHED|-1", "MISSING_PERSON_ENTRIES|1"), 3, "COUNT",
         "expected a non-negative integer, found 2 characters: digits and punctuation"),
        (counts("RECORDS_RECEIVED|1", "PERSONS_MATCHED|" + "9" * 4301, "MISSING_PERSON_ENTRIES|1"), 3, "COUNT",
         "expected a non-negative integer, found 4,301 characters: digits outside the 64-bit range"),
        (counts("RECORDS_RECEIVED|9223372036854775808", "PERSONS_MATCHED|1", "MISSING_PERSON_ENTRIES|1"), 2,
         "COUNT", "found 19 characters: digits outside the 64-bit range"),
        (b"MEASURE|TOTAL\r\n", 1, "COUNT", "header lacks"),
    ],
)
def test_broken_counts_are_rejected(data, line, column, problem):
    with pytest.raises(DpsFileError) as caught:
        parse_counts(data, COUNTS)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert problem in str(caught.value)


def test_leading_zeros_do_not_count_towards_the_64_bits():
    zeros = "0" * 5000
    frame = parse_results(results(LINE_A.replace("101|", f"+{zeros}101|", 1),
                                  LINE_B.replace("102|", f"-{zeros}9223372036854775808|", 1)), RESULTS)
    assert frame["DFPS_PERSON_ID"].tolist() == [101, -(2**63)]
    parsed = parse_counts(counts(f"RECORDS_RECEIVED|{zeros}9223372036854775807", f"PERSONS_MATCHED|{zeros}",
                                 "MISSING_PERSON_ENTRIES|007"), COUNTS)
    assert parsed == DpsCounts(2**63 - 1, 0, 7)


def test_reconciliation():
    frame = parse_results(results(LINE_A, LINE_B, LINE_B.replace("M000000002", "M000000003")), RESULTS)
    assert reconcile(DpsCounts(10, 2, 3), frame, submitted_rows=10).holds
    failed = reconcile(DpsCounts(9, 3, 3), frame, submitted_rows=10)
    assert not failed.holds
    assert failed.mismatches == {"RECORDS_RECEIVED": (9, 10), "PERSONS_MATCHED": (3, 2)}
    assert "RECORDS_RECEIVED is 9 in the counts file but 10 in the data" in failed.describe()


def test_count_data_lines():
    assert count_data_lines(b"H\r\na\r\nb\r\n") == 2
    assert count_data_lines(b"H\r\n") == 0
    assert count_data_lines(b"H\na\n\n\n") == 1


# --- no value of DPS's files in any error; control characters and line ends -------------------

SECRET = "ZELIGOWSKA"  # a last name that must never reach an error message


def test_a_shifted_row_never_quotes_the_name_that_lands_in_another_column():
    # NIC is missing and a field is added at the end: every later column holds its neighbour's
    # value, so the last name lands in NIC.
    fields = LINE_A.replace("PENA", SECRET).split("|")
    shifted = "|".join([fields[0], *fields[2:], "EXTRA"])
    with pytest.raises(DpsFileError) as caught:
        parse_results(results(shifted), RESULTS)
    assert (caught.value.line, caught.value.column) == (2, "NIC")
    assert str(caught.value) == (f"{RESULTS}, line 2, column NIC: expected M followed by 9 digits, "
                                 "found 10 characters: letters")
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


@pytest.mark.parametrize("column", ["DFPS_PERSON_ID", "NIC", "MKE", "DOB", "ENTRY_DATE", "MISSING_DATE",
                                    "CLEAR_DATE"])
@pytest.mark.parametrize("planted", [SECRET, "GARCIA LOPEZ", "O'BRIEN-SMITH", "Peña", "20090307X"])
def test_no_column_quotes_its_value(column, planted):
    fields = LINE_A.split("|")
    fields[HEADER.split("|").index(column)] = planted
    with pytest.raises(DpsFileError) as caught:
        parse_results(results("|".join(fields)), RESULTS)
    assert (caught.value.line, caught.value.column) == (2, column)
    assert planted not in str(caught.value)
    assert "found " in str(caught.value) and "character" in str(caught.value)


def test_a_bad_count_is_not_quoted():
    with pytest.raises(DpsFileError) as caught:
        parse_counts(counts(f"RECORDS_RECEIVED|{SECRET}", "PERSONS_MATCHED|1", "MISSING_PERSON_ENTRIES|1"), COUNTS)
    assert SECRET not in str(caught.value) and "found 10 characters: letters" in str(caught.value)


def test_a_header_naming_an_unknown_column_twice_is_not_quoted():
    with pytest.raises(DpsFileError) as caught:
        parse_results((f"{HEADER}|{SECRET}|{SECRET}\r\n").encode(), RESULTS)
    assert (caught.value.line, caught.value.column) == (1, None)
    assert str(caught.value) == f"{RESULTS}, line 1: header fields 14 and 15 have the same name"
    with pytest.raises(DpsFileError, match=r"column NIC: the header names this column twice \(fields 2 and 14\)"):
        parse_results(f"{HEADER}|NIC\r\n".encode(), RESULTS)


def test_a_huge_value_gives_a_short_message():
    with pytest.raises(DpsFileError) as caught:
        parse_results(results(LINE_A.replace("M000000001", "X" * 1_000_000)), RESULTS)
    assert len(str(caught.value)) < 200
    assert "found 1,000,000 characters: letters" in str(caught.value)
    # What the message names is capped too (a file name from the configuration).
    assert len(str(DpsFileError("F" * 10_000, 1, "C" * 10_000, "P" * 10_000))) < 600


@pytest.mark.parametrize(
    "character, code",
    [("\x00", "U+0000"), ("\x0b", "U+000B"), ("\x1f", "U+001F"), ("\t", "U+0009"), ("\x7f", "U+007F"),
     ("\x85", "U+0085"), ("\u2028", "U+2028"), ("\uffff", "U+FFFF")],
)
@pytest.mark.parametrize("column, where", [("LAST_NAME", "middle"), ("FIRST_NAME", "end"),
                                           ("AGENCY_COUNTY", "start"), ("CLEAR_DATE", "end")])
def test_control_characters_in_any_field_are_a_layout_violation(character, code, column, where):
    fields = LINE_A.split("|")
    index = HEADER.split("|").index(column)
    value = fields[index]
    # At the start or end too: str.strip() would silently drop VT, US, NEL and U+2028 there.
    fields[index] = {"start": character + value, "end": value + character,
                     "middle": value[:2] + character + value[2:]}[where]
    with pytest.raises(DpsFileError) as caught:
        parse_results(results(LINE_B, "|".join(fields)), RESULTS)
    assert (caught.value.line, caught.value.column) == (3, column)
    position = {"start": 1, "end": len(value) + 1, "middle": 3}[where]
    assert f"a control character {code} at character {position} of the field" in str(caught.value)


def test_control_characters_in_the_header_and_the_counts_file():
    with pytest.raises(DpsFileError) as caught:
        parse_results(results(LINE_A).replace(b"|DOB|", b"|DOB\x00|"), RESULTS)
    assert (caught.value.line, caught.value.column) == (1, None)
    assert "a control character U+0000 at character 4 of header field 5" in str(caught.value)
    with pytest.raises(DpsFileError) as caught:
        parse_counts(counts("RECORDS_RECEIVED|1", "SEARCH\x0bMS|2"), COUNTS)
    assert (caught.value.line, caught.value.column) == (3, "MEASURE")
    with pytest.raises(DpsFileError) as caught:
        parse_results(results(LINE_A + "|EXTRA\x00"), RESULTS)  # past the header's last column
    assert (caught.value.line, caught.value.column) == (2, None)
    assert "a control character U+0000 at character 6 of field 14" in str(caught.value)


def test_a_line_of_control_characters_is_not_a_blank_line_and_not_ignored():
    with pytest.raises(DpsFileError,
                       match=r"line 3, column DFPS_PERSON_ID: a control character U\+000B at character 1 of the field"):
        parse_results(results(LINE_A, "\x0b"), RESULTS)


def test_cr_only_line_ends_are_reported_as_such():
    data = results(LINE_A, LINE_B, newline="\r")
    with pytest.raises(DpsFileError) as caught:
        parse_results(data, RESULTS)
    assert (caught.value.line, caught.value.column) == (1, None)
    assert "the lines end in CR alone; the layout's line ends are CRLF or LF" in str(caught.value)
    assert "header lacks" not in str(caught.value)
    with pytest.raises(DpsFileError, match="CR alone"):
        parse_counts(b"MEASURE|COUNT\rRECORDS_RECEIVED|1\r", COUNTS)


def test_a_stray_cr_inside_a_line_is_reported_where_it_is():
    with pytest.raises(DpsFileError) as caught:
        parse_results(results(LINE_A.replace("|JOSE|", "|JO\rSE|")), RESULTS)
    assert (caught.value.line, caught.value.column) == (2, "FIRST_NAME")
    assert "a CR that does not end a line (line ends are CRLF or LF) at character 3 of the field" in str(caught.value)


def test_bytes_that_are_not_utf8_are_reported_with_line_and_column():
    data = results(LINE_A, LINE_B).replace(b"|DOE|", b"|D\xc3OE|")
    with pytest.raises(DpsFileError) as caught:
        parse_results(data, RESULTS)
    assert (caught.value.line, caught.value.column) == (3, "LAST_NAME")
    assert "bytes that are not valid UTF-8 at character 2 of the field" in str(caught.value)


@pytest.mark.parametrize(
    "text, shape",
    [("", "an empty value"), ("A", "1 character: letters"), ("GARCIA LOPEZ", "12 characters: letters and spaces"),
     ("O'BRIEN-2", "9 characters: digits, letters and punctuation"),
     ("Peña", "4 characters: letters and non-ASCII letters"),
     ("\u0661\u00a0\x00", "3 characters: non-ASCII digits, other white space and control characters"),
     ("\udcff\u2028€", "3 characters: control characters, undecodable bytes and other characters")],
)
def test_shapes_name_length_and_kinds_of_characters(text, shape):
    from dps_assets.core.privacy.shapes import shape_of

    assert shape_of(text) == shape
