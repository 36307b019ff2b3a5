"""The exchange's rules as configured in dps_config.yml: file layouts, code maps, matching."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from dps_assets.core.export import CodeMaps
from dps_assets.core.text_file import TextLayout


class ExchangeRulesResource(ConfigurableResource):
    """Layouts and business rules. Shown in the UI so a reader can see what a run used."""

    text_file_name: str = "End_txt_file.txt"
    workbook_file_name: str = "end_export.xlsx"
    text_fields: list[str]
    delimiter: str = "|"
    line_ending: str = "\r\n"
    date_format: str = "%Y%m%d"
    sex_map: dict[str, str]
    race_map: dict[str, str]
    unknown_code: str = "U"
    results_file_name: str = "Dfps-missing-person-results.txt"
    counts_file_name: str = "Dfps-missing-person-counts.txt"
    match_tolerance_days: int = Field(default=7, ge=0)
    max_row_count_change: float = Field(default=0.20, gt=0, description="share of the last "
                                        "submission's row count an export may move without force")

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
        )
