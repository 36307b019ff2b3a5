"""End_txt_file.txt byte for byte."""

import pandas as pd
import pytest

from dps_assets.config.export_layout import TEXT_FILE_FIELDS
from dps_assets.core.text_file import TextLayout, TextLayoutError, render_text_file


def export_frame():
    return pd.DataFrame({
        "PERSON_ID": [101, 2002],
        "LAST_NAME": ["PENA", "O'BRIEN-SMITH"],
        "FIRST_NAME": ["JOSE", "ANA"],
        "MIDDLE_NAME": ["LUIS", None],
        "DOB": pd.to_datetime(["2009-03-07", "2012-12-31"]),
        "SEX": ["M", "U"],
        "RACE": ["W", "B"],
        "CNTY_NAME": ["Travis", "Bexar"],
    })


def test_default_layout_byte_for_byte():
    data = render_text_file(export_frame(), TextLayout(fields=TEXT_FILE_FIELDS))
    assert data == (
        b"DFPS_PERSON_ID|LAST_NAME|FIRST_NAME|MIDDLE_NAME|DOB|SEX|RACE\r\n"
        b"101|PENA|JOSE|LUIS|20090307|M|W\r\n"
        b"2002|O'BRIEN-SMITH|ANA||20121231|U|B\r\n"
    )


def test_empty_export_is_just_the_header():
    frame = export_frame().iloc[0:0]
    assert render_text_file(frame, TextLayout(fields=TEXT_FILE_FIELDS)) == (
        b"DFPS_PERSON_ID|LAST_NAME|FIRST_NAME|MIDDLE_NAME|DOB|SEX|RACE\r\n")


def test_a_configured_layout_changes_the_file_not_the_code():
    layout = TextLayout(fields=("DFPS_PERSON_ID", "DOB", "LAST_NAME"), delimiter=",",
                        line_ending="\n", date_format="%m/%d/%Y")
    assert render_text_file(export_frame(), layout) == (
        b"DFPS_PERSON_ID,DOB,LAST_NAME\n101,03/07/2009,PENA\n2002,12/31/2012,O'BRIEN-SMITH\n")


def test_non_ascii_is_refused():
    frame = export_frame()
    frame.loc[0, "LAST_NAME"] = "PEÑA"
    with pytest.raises(TextLayoutError, match="line 2"):
        render_text_file(frame, TextLayout(fields=TEXT_FILE_FIELDS))


def test_a_value_holding_the_delimiter_is_refused():
    frame = export_frame()
    frame.loc[1, "FIRST_NAME"] = "A|NA"
    with pytest.raises(TextLayoutError, match="row 2, field FIRST_NAME"):
        render_text_file(frame, TextLayout(fields=TEXT_FILE_FIELDS))
