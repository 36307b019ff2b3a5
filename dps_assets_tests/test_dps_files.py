"""Reading DPS's two files (spec §4), and rejecting a broken one with file, line and column."""

import pytest

from dps_assets.core.dps_files import (
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
        (results(LINE_A, LINE_B.replace("20250201", "20250231")), 3, "MISSING_DATE", "'20250231' is not a date"),
        (results(LINE_A.replace("20250108", "2025-01-08")), 2, "MISSING_DATE", "is not a date"),
        (results(LINE_A.replace("101|", "10x|", 1)), 2, "DFPS_PERSON_ID", "'10x' is not a 64-bit integer"),
        (results(LINE_A.replace("101|", "99999999999999999999|", 1)), 2, "DFPS_PERSON_ID", "not a 64-bit"),
        (results(LINE_A.replace("101|", "\u0661\u0660\u0661|", 1)), 2, "DFPS_PERSON_ID", "not a 64-bit"),
        (results(LINE_A.replace("M000000001", "M00000000\u0661")), 2, "NIC", "M followed by 9 digits"),
        # A "no end" placeholder is not a date the file may use (an active entry has an empty CLEAR_DATE).
        (results(LINE_A.replace("|20250112", "|99991231")), 2, "CLEAR_DATE",
         "'99991231' is not a date YYYYMMDD from 16770922 to 22620411"),
        (results(LINE_A, LINE_B.replace("M000000002", "M000000001")), 3, "NIC", "repeats line 2"),
        (results(LINE_A.replace("M000000001", "M12")), 2, "NIC", "M followed by 9 digits"),
        (results(LINE_A.replace("EMJ", "XXX")), 2, "MKE", "one of"),
        (results(LINE_A.rsplit("|", 1)[0]), 2, None, "12 field(s), the header has 13"),
        (results(LINE_A, "", LINE_B), 3, None, "blank line"),
        (results(LINE_A.replace("20250108", "")), 2, "MISSING_DATE", "a value is required"),
        (HEADER.encode() + b"\r\n" + LINE_A.encode() + b"\xff\r\n", 2, None, "UTF-8"),
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
        (counts("RECORDS_RECEIVED|x", "PERSONS_MATCHED|1", "MISSING_PERSON_ENTRIES|1"), 2, "COUNT", "'x'"),
        (counts("RECORDS_RECEIVED|1", "RECORDS_RECEIVED|2"), 3, "MEASURE", "repeats line 2"),
        (b"MEASURE|TOTAL\r\n", 1, "COUNT", "header lacks"),
    ],
)
def test_broken_counts_are_rejected(data, line, column, problem):
    with pytest.raises(DpsFileError) as caught:
        parse_counts(data, COUNTS)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert problem in str(caught.value)


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
