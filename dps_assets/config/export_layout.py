"""The `export_layout` section: the text file DPS reads and the workbook beside it, and how
IMPACT's codes become NCIC codes."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from dps_assets.config.section import Section
from dps_assets.config.values import Delimiter, FileName

TEXT_FILE_FIELDS = ("DFPS_PERSON_ID", "LAST_NAME", "FIRST_NAME", "MIDDLE_NAME", "DOB", "SEX", "RACE")


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

    @field_validator("sex_map", "race_map")
    @classmethod
    def _upper_keys(cls, mapping: dict[str, str]) -> dict[str, str]:
        return {k.strip().upper(): v for k, v in mapping.items()}

    @model_validator(mode="after")
    def _distinct_names(self) -> ExportLayoutConfig:
        if self.text_file_name.casefold() == self.workbook_file_name.casefold():
            raise ValueError("text_file_name and workbook_file_name must differ "
                             "(one would overwrite the other)")
        return self
