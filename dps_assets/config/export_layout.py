"""The `export_layout` section: the text file DPS reads and the workbook beside it, and how
IMPACT's codes become NCIC codes.

`max_lengths` bounds the fields that carry IMPACT's data. Their defaults follow NCIC's
missing-person record: a name (NAM) is at most 30 characters, so no part of one is longer; IMPACT's
person ids are at most 16 digits. A row with a longer value is rejected with a REASON and the rest
is sent (without a bound, a 1 MB last name went to DPS as a line of a million characters)."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from dps_assets.config.section import Section
from dps_assets.config.values import Delimiter, FileName

TEXT_FILE_FIELDS = ("DFPS_PERSON_ID", "LAST_NAME", "FIRST_NAME", "MIDDLE_NAME", "DOB", "SEX", "RACE")
_DIRECTIVE = re.compile(r"%(.?)", re.DOTALL)  # `%%` is one directive (a percent sign)


class MaxLengthsConfig(Section):
    """The most characters a field of the text file may hold (DFPS_PERSON_ID: digits)."""

    DFPS_PERSON_ID: int = Field(default=16, ge=1, le=19)  # 19 digits: all a 64-bit id can have
    LAST_NAME: int = Field(default=30, ge=1)
    FIRST_NAME: int = Field(default=30, ge=1)
    MIDDLE_NAME: int = Field(default=30, ge=1)


class ExportLayoutConfig(Section):
    text_file_name: FileName = "End_txt_file.txt"
    workbook_file_name: FileName = "end_export.xlsx"
    delimiter: Delimiter = "|"
    line_ending: Literal["\r\n", "\n"] = "\r\n"
    date_format: str = "%Y%m%d"
    fields: tuple[str, ...] = TEXT_FILE_FIELDS
    sex_map: dict[str, Literal["M", "F", "U"]] = {"M": "M", "MALE": "M", "F": "F", "FEMALE": "F"}
    race_map: dict[str, str] = {"WT": "W", "AA": "B", "AN": "I", "AS": "A", "HP": "A"}
    unknown_code: str = "U"
    max_lengths: MaxLengthsConfig = MaxLengthsConfig()

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, fields: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [str(i) for i, f in enumerate(fields) if f not in TEXT_FILE_FIELDS]
        if unknown:  # by position: a value is never repeated in an error
            raise ValueError(f"unknown field at position(s) {', '.join(unknown)}; "
                             f"choose from {list(TEXT_FILE_FIELDS)}")
        if len(set(fields)) != len(fields):
            raise ValueError("a field is listed twice")
        return fields

    @field_validator("date_format")
    @classmethod
    def _whole_dates(cls, date_format: str) -> str:
        # A date of birth without its year (`%d/%m`), or with two digits of it (`%y`), cannot be
        # matched; month names and times depend on the locale or say nothing of a birth date.
        if sorted(d for d in _DIRECTIVE.findall(date_format) if d != "%") != sorted("Ymd"):
            raise ValueError("must write the year (%Y, 4 digits), the month (%m) and the day (%d) once each, "
                             "and no other directive (%% writes a percent sign)")
        if not (date_format.isascii() and date_format.isprintable()):
            raise ValueError("must be printable ASCII (the text file is ASCII)")
        return date_format

    @field_validator("sex_map", "race_map")
    @classmethod
    def _upper_keys(cls, mapping: dict[str, str]) -> dict[str, str]:
        return {k.strip().upper(): v for k, v in mapping.items()}

    @model_validator(mode="after")
    def _distinct_names(self) -> ExportLayoutConfig:
        if self.text_file_name.casefold() == self.workbook_file_name.casefold():
            raise ValueError("text_file_name and workbook_file_name must differ "
                             "(one would overwrite the other)")
        if self.delimiter in date(2001, 2, 3).strftime(self.date_format):
            raise ValueError("date_format writes the delimiter: every date would split its line")
        return self
