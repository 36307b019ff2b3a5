"""Each of spec §3's wrangling rules on its own."""

from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook

from dps_assets.core.export.workbook import build_export_workbook
from dps_assets.core.export.wrangling import (
    REASON_DOB_AFTER_WINDOW,
    REASON_NO_DOB,
    REASON_NO_FIRST_NAME,
    REASON_NO_LAST_NAME,
    CodeMaps,
    ExportSourceError,
    map_code,
    wrangle_export,
)
from dps_assets.core.impact.names import county_key, normalize_person_name
from dps_assets.core.schemas import EXPORT_SCHEMA, FrameValidationError, validate

WINDOW_END = date(2025, 5, 31)
CODES = CodeMaps(
    sex={"M": "M", "MALE": "M", "F": "F", "FEMALE": "F"},
    race={"WT": "W", "AA": "B", "AN": "I", "AS": "A", "HP": "A"},
)


def row(person_id=1, first="ANA", middle=None, last="LOPEZ", dob="2010-01-02", sex="F", race="WT",
        county="Travis", start="2024-10-01", end=None):
    return {"person_id": person_id, "first_name": first, "middle_name": middle, "last_name": last,
            "dob": dob, "sex": sex, "race": race, "cnty_name": county, "cvs_start": start,
            "cvs_end": end}


def wrangle(*rows):
    return wrangle_export(pd.DataFrame(list(rows)), WINDOW_END, CODES)


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("Peña", "PENA"),
        ("García-López", "GARCIA-LOPEZ"),
        ("O'Brien", "O'BRIEN"),
        ("  smith   jr. ", "SMITH JR"),
        ("Nguyễn", "NGUYEN"),
        ("Zoë\tAnn", "ZOE ANN"),
        ("Ångström", "ANGSTROM"),
        ("J.R.", "J R"),
        ("--", "--"),
        ("???", None),
        ("", None),
        ("   ", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_rule_1_names(raw, clean):
    assert normalize_person_name(raw) == clean


def test_rule_1_applies_to_all_three_names():
    sent = wrangle(row(first="José", middle="María", last="Peña")).sent
    assert sent.loc[0, ["FIRST_NAME", "MIDDLE_NAME", "LAST_NAME"]].tolist() == ["JOSE", "MARIA", "PENA"]


def test_rule_1_empty_middle_name_is_null_not_rejected():
    split = wrangle(row(middle="..."))
    assert len(split.sent) == 1 and pd.isna(split.sent.loc[0, "MIDDLE_NAME"])


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"last": "??"}, REASON_NO_LAST_NAME),
        ({"first": None}, REASON_NO_FIRST_NAME),
        ({"dob": None}, REASON_NO_DOB),
        ({"dob": "2025-06-01"}, REASON_DOB_AFTER_WINDOW),
    ],
)
def test_rule_2_rejections_keep_source_columns_and_reason(changes, reason):
    split = wrangle(row(person_id=7, **changes), row(person_id=8))
    assert split.sent["PERSON_ID"].tolist() == [8]
    assert len(split.rejected) == 1
    rejected = split.rejected.iloc[0]
    assert rejected["REASON"] == reason
    assert rejected["PERSON_ID"] == 7
    # The source values are kept as they came, not cleaned, in the Export sheet's column order
    # (names LAST, FIRST, MIDDLE), then the reason.
    assert list(split.rejected.columns) == [*split.sent.columns, "REASON"] == [
        "PERSON_ID", "LAST_NAME", "FIRST_NAME", "MIDDLE_NAME", "DOB", "SEX", "RACE",
        "CNTY_NAME", "CVS_START", "CVS_END", "REASON"]


def test_rule_2_dob_on_window_end_is_kept():
    assert len(wrangle(row(dob="2025-05-31")).sent) == 1


def test_rule_2_several_reasons_are_all_named():
    reason = wrangle(row(first="", last="", dob=None)).rejected.loc[0, "REASON"]
    assert reason == f"{REASON_NO_LAST_NAME}; {REASON_NO_FIRST_NAME}; {REASON_NO_DOB}"


@pytest.mark.parametrize(
    "raw, code",
    [("M", "M"), ("m", "M"), (" Male ", "M"), ("MALE", "M"), ("f", "F"), ("Female", "F"),
     ("X", "U"), ("", "U"), (None, "U"), ("MA", "U")],
)
def test_rule_3_sex(raw, code):
    assert map_code(raw, CODES.sex, "U") == code
    assert wrangle(row(sex=raw)).sent.loc[0, "SEX"] == code


@pytest.mark.parametrize(
    "raw, code",
    [("WT", "W"), ("wt", "W"), (" AA ", "B"), ("AN", "I"), ("AS", "A"), ("HP", "A"),
     ("XX", "U"), (None, "U"), ("W", "U")],
)
def test_rule_4_race(raw, code):
    assert wrangle(row(race=raw)).sent.loc[0, "RACE"] == code


def test_rule_5_latest_cvs_start_wins():
    split = wrangle(
        row(person_id=5, county="Travis", start="2024-09-10"),
        row(person_id=5, county="Bexar", start="2025-01-15"),
        row(person_id=5, county="Harris", start="2024-12-01"),
    )
    assert split.sent["CNTY_NAME"].tolist() == ["Bexar"]
    assert split.duplicates_dropped == 2


def test_rule_5_ties_go_to_the_earlier_row():
    split = wrangle(
        row(person_id=5, county="First", start="2025-01-15"),
        row(person_id=5, county="Second", start="2025-01-15"),
    )
    assert split.sent["CNTY_NAME"].tolist() == ["First"]


def test_rule_5_dedup_only_among_rows_not_rejected():
    split = wrangle(
        row(person_id=5, county="Rejected", start="2025-03-01", dob=None),
        row(person_id=5, county="Kept", start="2024-10-01"),
    )
    assert split.sent["CNTY_NAME"].tolist() == ["Kept"]
    assert split.rejected["CNTY_NAME"].tolist() == ["Rejected"]


def test_rule_6_sorted_by_person_id():
    split = wrangle(row(person_id=30), row(person_id=4), row(person_id=200))
    assert split.sent["PERSON_ID"].tolist() == [4, 30, 200]


def test_column_names_are_case_insensitive_and_required():
    frame = pd.DataFrame([row()]).rename(columns=str.upper)
    assert len(wrangle_export(frame, WINDOW_END, CODES).sent) == 1
    with pytest.raises(ExportSourceError, match="CVS_END"):
        wrangle_export(pd.DataFrame([row()]).drop(columns="cvs_end"), WINDOW_END, CODES)


def test_output_satisfies_the_schema():
    split = wrangle(row(person_id=2, middle="Lee"), row(person_id=1))
    validated = validate(EXPORT_SCHEMA, split.sent, "export")
    assert validated["DOB"].dtype == "datetime64[ns]"
    assert validated["PERSON_ID"].dtype == "int64"


def test_schema_errors_name_columns_and_rows_but_never_values():
    split = wrangle(row(person_id=1, last="Secretname"), row(person_id=2))
    broken = split.sent.copy()
    broken.loc[0, "LAST_NAME"] = "secretname lowercase"
    with pytest.raises(FrameValidationError) as caught:
        validate(EXPORT_SCHEMA, broken, "export FY2025-Q3")
    message = str(caught.value)
    assert "LAST_NAME" in message and "row(s) 1" in message
    assert "secretname" not in message.lower()


@pytest.mark.parametrize(
    "raw", ["De Witt", "DEWITT", "DeWitt County", "dewitt county", " De-Witt "])
def test_county_names_compare_as_one(raw):
    assert county_key(raw) == "DEWITT"


# --- values the warehouse can return that column-wide conversion gets wrong --------------------

from datetime import datetime  # noqa: E402
from decimal import Decimal  # noqa: E402

from dps_assets.core.export import wrangling as export_rules  # noqa: E402


@pytest.mark.parametrize(
    "dob, reason",
    [
        # DuckDB's DATE and Oracle's DATE arrive as Python objects; year 201 is no birth date.
        (date(201, 3, 4), "DOB is before 1900-01-01"),
        (datetime(201, 3, 4, 10, 0), "DOB is before 1900-01-01"),
        ("0201-03-04", "DOB is before 1900-01-01"),
        (date(1899, 12, 31), "DOB is before 1900-01-01"),
        # Past pandas' last day (2262-04-11) but a date all the same: after the window end.
        (date(9999, 12, 31), REASON_DOB_AFTER_WINDOW),
        ("not a day", "DOB is not a date"),
    ],
)
def test_a_dob_out_of_range_is_rejected_for_what_it_is(dob, reason):
    split = wrangle(row(person_id=7, dob=dob), row(person_id=8, dob=date(2010, 1, 2)))
    assert split.sent["PERSON_ID"].tolist() == [8]
    assert split.rejected["REASON"].tolist() == [reason]
    assert split.rejected["PERSON_ID"].tolist() == [7]
    assert split.rejected.loc[0, "DOB"] == dob  # the source value, as it came
    validate(EXPORT_SCHEMA, split.sent, "export")


@pytest.mark.parametrize("person_id", [0, -3, 1.7, Decimal("1.7"), 2**63, "1.5", "x1", True, "9" * 4301,
                                       "1e999999999999"])
def test_a_person_id_that_is_not_a_positive_whole_number_is_rejected(person_id):
    split = wrangle(row(person_id=person_id), row(person_id=2))
    assert split.sent["PERSON_ID"].tolist() == [2]
    assert split.rejected["REASON"].tolist() == [export_rules.REASON_BAD_PERSON_ID]
    validate(EXPORT_SCHEMA, split.sent, "export")


@pytest.mark.parametrize("person_id", [5, 5.0, Decimal("5"), Decimal("5.000"), "5", " 5 "])
def test_a_whole_person_id_of_any_type_is_sent(person_id):
    split = wrangle(row(person_id=person_id))
    assert split.sent["PERSON_ID"].tolist() == [5] and split.rejected.empty
    assert validate(EXPORT_SCHEMA, split.sent, "export")["PERSON_ID"].dtype == "int64"


def test_episode_dates_pandas_cannot_hold_keep_the_child_and_order_by_the_real_date():
    split = wrangle(
        row(person_id=5, county="Earlier", start=date(2024, 10, 1), end=date(9999, 12, 31)),
        row(person_id=5, county="Later", start=date(2400, 1, 1)),  # a typo, but the latest start
        row(person_id=6, start=date(1066, 10, 14), end="garbage"),
    )
    assert split.sent["PERSON_ID"].tolist() == [5, 6] and split.rejected.empty
    assert split.sent["CNTY_NAME"].tolist() == ["Later", "Travis"]
    # What a datetime64 column cannot hold (before 1677-09-22, after 2262-04-11) is shown empty,
    # and so is what is not a date.
    assert split.sent["CVS_START"].isna().tolist() == [True, True]
    assert split.sent["CVS_END"].isna().tolist() == [True, True]
    validate(EXPORT_SCHEMA, split.sent, "export")


def test_mixed_python_dates_and_timestamps_in_one_column():
    frame = pd.DataFrame([row(person_id=1, dob=date(2010, 1, 2)), row(person_id=2, dob=date(201, 3, 4))])
    frame["dob"] = frame["dob"].astype(object)
    split = wrangle_export(frame, WINDOW_END, CODES)
    assert split.sent["DOB"].tolist() == [pd.Timestamp("2010-01-02")]
    assert split.rejected["PERSON_ID"].tolist() == [2]


def test_values_are_read_whatever_type_the_driver_gives():
    import numpy as np

    from dps_assets.core.impact.warehouse_values import Unreadable, calendar_day, whole_number

    assert [whole_number(v) for v in (7, 7.0, np.int64(7), np.float64(7.0), Decimal("7.00"), " 7 ", None,
                                      float("nan"), Decimal("NaN"))] == [7] * 6 + [None] * 3
    for value in (7.5, "7.5", "seven", float("inf"), 2**63, True, b"7", [7]):
        with pytest.raises(Unreadable):
            whole_number(value)
    day = date(201, 3, 4)
    values = (day, datetime(201, 3, 4, 23, 59), np.datetime64("0201-03-04"), "0201-03-04", "0201-03-04 10:00:00",
              pd.Timestamp("2010-01-02 10:00"), None, pd.NaT, np.datetime64("NaT"), "")
    assert [calendar_day(v) for v in values] == [day] * 5 + [date(2010, 1, 2)] + [None] * 4
    for value in ("2010-02-30", "someday", 20100102, np.datetime64("20000-01-01")):
        with pytest.raises(Unreadable):
            calendar_day(value)


def test_the_rejected_sheet_orders_the_name_columns_like_the_export_sheet(tmp_path):
    split = wrangle(row(person_id=7, last=""), row(person_id=8))
    path = build_export_workbook(tmp_path / "end_export.xlsx", split.sent, split.rejected, [("Partition", "x")])
    book = load_workbook(path, read_only=True)
    export, rejected = (next(book[name].iter_rows(max_row=1, values_only=True)) for name in ("Export", "Rejected"))
    assert export[1:4] == rejected[1:4] == ("LAST_NAME", "FIRST_NAME", "MIDDLE_NAME")
    assert rejected == (*export, "REASON")
