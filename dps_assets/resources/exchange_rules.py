"""The exchange's rules as configured in dps_config.yml: file layouts, code maps, matching."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from dps_assets.core.export.text_file import TextLayout
from dps_assets.core.export.wrangling import CodeMaps


class ExchangeRulesResource(ConfigurableResource):
    """Layouts and business rules. Shown in the UI so a reader can see what a run used. Its
    settings are the export_layout, dps_files, matching and submission sections' (defaults and
    checks there)."""

    text_file_name: str
    workbook_file_name: str
    text_fields: list[str] = Field(description="the text file's columns, in order")
    delimiter: str
    line_ending: str
    date_format: str
    sex_map: dict[str, str]
    race_map: dict[str, str]
    unknown_code: str
    max_lengths: dict[str, int] = Field(description="the most characters (DFPS_PERSON_ID: digits) a field "
                                        "of the text file may hold; a row with more is rejected")
    results_file_name: str
    counts_file_name: str
    match_tolerance_days: int = Field(description="T of spec §6")
    max_row_count_change: float = Field(description="share of the row count sent for the same "
                                        "quarter a year earlier an export may move without force")

    @property
    def code_maps(self) -> CodeMaps:
        return CodeMaps(sex=dict(self.sex_map), race=dict(self.race_map), unknown=self.unknown_code)

    @property
    def text_layout(self) -> TextLayout:
        return TextLayout(
            fields=tuple(self.text_fields),
            delimiter=self.delimiter,
            line_ending=self.line_ending,
            date_format=self.date_format,
            max_lengths=dict(self.max_lengths),
        )
