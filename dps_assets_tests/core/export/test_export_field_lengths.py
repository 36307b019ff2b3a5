"""The text file's layout bounds each field that carries IMPACT's data (`export_layout.max_lengths`):
a row with a longer value is rejected with its REASON and the rest is sent, so DPS never gets a
line of a million characters."""

from datetime import date

import pandas as pd
import pytest

from dps_assets.config.export_layout import TEXT_FILE_FIELDS, ExportLayoutConfig
from dps_assets.core.export.text_file import TextLayout, TextLayoutError, render_text_file
from dps_assets.core.export.wrangling import CodeMaps, wrangle_export
from dps_assets.core.schemas import EXPORT_SCHEMA, validate

WINDOW_END = date(2025, 5, 31)
CODES = CodeMaps(sex={"F": "F"}, race={"WT": "W"})
# The default layout, as the configuration gives it.
LAYOUT = TextLayout(fields=TEXT_FILE_FIELDS, max_lengths=ExportLayoutConfig().max_lengths.model_dump())
SECRET = "ZELIGOWSKA"


def row(person_id=1, first="ANA", middle=None, last="LOPEZ"):
    return {"person_id": person_id, "first_name": first, "middle_name": middle, "last_name": last,
            "dob": "2010-01-02", "sex": "F", "race": "WT", "cnty_name": "Travis", "cvs_start": "2024-10-01",
            "cvs_end": None}


def wrangle(*rows, layout=LAYOUT):
    return wrangle_export(pd.DataFrame(list(rows)), WINDOW_END, CODES, layout.length_limits())


def test_the_default_layout_follows_ncic():
    assert LAYOUT.max_lengths == {"DFPS_PERSON_ID": 16, "LAST_NAME": 30, "FIRST_NAME": 30, "MIDDLE_NAME": 30}


def test_a_megabyte_last_name_is_rejected_and_the_rest_is_sent():
    split = wrangle(row(person_id=7, last=SECRET * 100_000), row(person_id=8))
    assert split.sent["PERSON_ID"].tolist() == [8]
    assert split.rejected["PERSON_ID"].tolist() == [7]
    assert split.rejected["REASON"].tolist() == [
        "LAST_NAME is longer than the text file's 30 characters after cleaning"]
    assert len(split.rejected.loc[0, "LAST_NAME"]) == 1_000_000  # the source value, as it came
    text = render_text_file(validate(EXPORT_SCHEMA, split.sent, "export"), LAYOUT)
    assert max(len(line) for line in text.split(b"\r\n")) < 80


@pytest.mark.parametrize("column, key", [("last_name", "LAST_NAME"), ("first_name", "FIRST_NAME"),
                                         ("middle_name", "MIDDLE_NAME")])
def test_each_name_may_fill_its_field_but_not_pass_it(column, key):
    fits, too_long = row(person_id=1), row(person_id=2)
    fits[column], too_long[column] = "A" * 30, "B" * 31
    split = wrangle(fits, too_long)
    assert split.sent["PERSON_ID"].tolist() == [1]
    assert split.rejected["REASON"].tolist() == [f"{key} is longer than the text file's 30 characters after cleaning"]


def test_a_name_is_measured_as_it_is_sent_once_cleaned():
    # 34 characters as stored; 30 once the accent is dropped and the runs of spaces collapsed.
    split = wrangle(row(last="  Peña    " + "X" * 25 + "  "))
    assert split.rejected.empty and split.sent.loc[0, "LAST_NAME"] == "PENA " + "X" * 25


def test_a_person_id_with_more_digits_than_the_layout_is_rejected():
    split = wrangle(row(person_id=10**15), row(person_id=10**16), row(person_id="00000000000000000042"))
    assert split.sent["PERSON_ID"].tolist() == [42, 10**15]  # leading zeros are not sent
    assert split.rejected["REASON"].tolist() == ["PERSON_ID has more than the text file's 16 digits"]


def test_every_reason_is_named():
    reason = wrangle(row(person_id=10**17, first="", last="L" * 31, middle="M" * 31)).rejected.loc[0, "REASON"]
    assert reason == ("FIRST_NAME is empty after cleaning; PERSON_ID has more than the text file's 16 digits; "
                      "LAST_NAME is longer than the text file's 30 characters after cleaning; "
                      "MIDDLE_NAME is longer than the text file's 30 characters after cleaning")


def test_a_field_the_file_does_not_hold_is_not_bounded():
    layout = TextLayout(fields=("DFPS_PERSON_ID", "LAST_NAME", "FIRST_NAME", "DOB"),
                        max_lengths={"LAST_NAME": 30, "MIDDLE_NAME": 5, "FIRST_NAME": 40})
    assert layout.length_limits() == {"LAST_NAME": 30, "FIRST_NAME": 40}
    split = wrangle(row(middle="M" * 100, first="F" * 40), layout=layout)
    assert split.rejected.empty and len(split.sent) == 1


def test_the_writer_refuses_a_value_longer_than_its_field_without_quoting_it():
    frame = wrangle(row(), row(person_id=2)).sent
    frame.loc[1, "FIRST_NAME"] = SECRET * 4
    with pytest.raises(TextLayoutError) as caught:
        render_text_file(frame, LAYOUT)
    assert str(caught.value) == "export row 2, field FIRST_NAME: longer than the layout's 30 characters"
