"""sa_98 rows the matching cannot use are set aside, each with its RUNAWAY_EVENT_ID and what is
wrong with it (columns and shapes, never values); the rest is typed for the schema."""

from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest

from dps_assets.core.sa_98_rows import split_sa_98_rows
from dps_assets.core.schemas import SA_98_SCHEMA, validate

SECRET = "ZELIGOWSKA"


def event(event_id, person_id=10, dob=date(2010, 1, 2), runaway=datetime(2025, 1, 3, 14, 5), back=None,
          last=SECRET, first="ANA", county="Travis", living="FOSTER HOME"):
    return {"PERSON_ID": person_id, "RUNAWAY_EVENT_ID": event_id, "FIRST_NAME": first, "LAST_NAME": last,
            "DOB": dob, "SEX": "F", "RACE": "WT", "CNTY_NAME": county, "RUNAWAY_DATE": runaway,
            "RETURN_DATE": back, "LIVING_ARRANGEMENT": living}


def split(*events):
    return split_sa_98_rows(pd.DataFrame(list(events)))


def test_clean_rows_are_all_usable_and_typed():
    result = split(event(1), event(2, back=date(2025, 1, 9)), event(3, person_id=Decimal("11"), dob=None))
    assert result.set_aside.empty and list(result.set_aside.columns) == ["QUERY_ROW", "RUNAWAY_EVENT_ID", "PROBLEM"]
    usable = validate(SA_98_SCHEMA, result.usable, "sa_98")
    assert usable["RUNAWAY_EVENT_ID"].tolist() == [1, 2, 3] and usable["PERSON_ID"].tolist() == [10, 10, 11]
    assert usable["RUNAWAY_DATE"].tolist() == [pd.Timestamp("2025-01-03")] * 3  # the calendar day
    assert usable["RETURN_DATE"].isna().tolist() == [True, False, True]


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"dob": date(201, 3, 4)}, "DOB is outside 1900-01-01 .. 2262-04-11"),
        ({"runaway": datetime(9999, 12, 31)}, "RUNAWAY_DATE is outside 1900-01-01 .. 2262-04-11"),
        ({"back": date(3000, 1, 1)}, "RETURN_DATE is outside 1900-01-01 .. 2262-04-11"),
        ({"runaway": None}, "RUNAWAY_DATE is missing"),
        ({"runaway": "soon"}, "RUNAWAY_DATE is not a date"),
        ({"person_id": 10.5}, "PERSON_ID is not a whole number"),
        ({"person_id": None}, "PERSON_ID is missing"),
        ({"last": SECRET + "\x00"}, "LAST_NAME holds 1 control character(s)"),
        ({"first": "A\x0bN\x0bA"}, "FIRST_NAME holds 2 control character(s)"),
        ({"county": "Travis\x1f"}, "CNTY_NAME holds 1 control character(s)"),
        ({"living": "FOSTER\x85HOME"}, "LIVING_ARRANGEMENT holds 1 control character(s)"),
        ({"dob": date(201, 3, 4), "last": "X\x00"}, "DOB is outside 1900-01-01 .. 2262-04-11; "
                                                     "LAST_NAME holds 1 control character(s)"),
    ],
)
def test_a_row_the_matching_cannot_use_is_set_aside_with_its_event_id(changes, problem):
    result = split(event(1), event(77, **changes), event(3))
    assert result.set_aside.to_dict("records") == [{"QUERY_ROW": 2, "RUNAWAY_EVENT_ID": 77, "PROBLEM": problem}]
    assert validate(SA_98_SCHEMA, result.usable, "sa_98")["RUNAWAY_EVENT_ID"].tolist() == [1, 3]
    assert SECRET not in problem


def test_an_unreadable_event_id_is_set_aside_by_row_number():
    result = split(event(1), event("E-9"), event(None))
    assert result.set_aside["QUERY_ROW"].tolist() == [2, 3]
    assert result.set_aside["RUNAWAY_EVENT_ID"].isna().all()
    assert result.set_aside["PROBLEM"].tolist() == ["RUNAWAY_EVENT_ID is not a whole number",
                                                    "RUNAWAY_EVENT_ID is missing"]


@pytest.mark.parametrize("person_id", ["9" * 4301, "1e999999999999", Decimal("1E+400000000000000000"), "1" * 100_000])
def test_an_id_too_big_for_64_bits_in_any_spelling_is_set_aside_not_converted(person_id):
    # int() refuses text of over 4,300 digits, and 1e999999999999 is a whole number no memory holds.
    result = split(event(1), event(2, person_id=person_id), event(3))
    assert result.set_aside.to_dict("records") == [
        {"QUERY_ROW": 2, "RUNAWAY_EVENT_ID": 2, "PROBLEM": "PERSON_ID is not a whole number"}]
    assert result.usable["RUNAWAY_EVENT_ID"].tolist() == [1, 3]


def test_a_repeated_event_id_sets_aside_every_row_that_has_it():
    result = split(event(1), event(5), event(5.0, person_id=12), event(6))
    assert result.set_aside["RUNAWAY_EVENT_ID"].tolist() == [5, 5]
    assert set(result.set_aside["PROBLEM"]) == {"RUNAWAY_EVENT_ID repeats"}
    assert result.usable["RUNAWAY_EVENT_ID"].tolist() == [1, 6]


def test_lower_case_columns_and_an_empty_result():
    result = split_sa_98_rows(pd.DataFrame([event(1)]).rename(columns=str.lower))
    assert result.usable["RUNAWAY_EVENT_ID"].tolist() == [1]
    empty = split_sa_98_rows(pd.DataFrame(columns=list(event(1))))
    assert empty.usable.empty and empty.set_aside.empty
    assert len(validate(SA_98_SCHEMA, empty.usable, "sa_98")) == 0
