"""`End_txt_file.txt`: the list of children in the layout DPS reads (spec §3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from dps_assets.core.privacy.errors import ExchangeError

# Where each field of the text file comes from in the export frame.
FIELD_SOURCES = {
    "DFPS_PERSON_ID": "PERSON_ID",
    "LAST_NAME": "LAST_NAME",
    "FIRST_NAME": "FIRST_NAME",
    "MIDDLE_NAME": "MIDDLE_NAME",
    "DOB": "DOB",
    "SEX": "SEX",
    "RACE": "RACE",
}


@dataclass(frozen=True)
class TextLayout:
    fields: Sequence[str]
    delimiter: str = "|"
    line_ending: str = "\r\n"
    date_format: str = "%Y%m%d"
    # The most characters (DFPS_PERSON_ID: digits) a field may hold; a field not named has no bound.
    max_lengths: Mapping[str, int] = field(default_factory=dict)

    def length_limits(self) -> dict[str, int]:
        """The bounds of the fields this file holds, by the export frame's column (PERSON_ID, ...)."""
        return {FIELD_SOURCES[f]: self.max_lengths[f] for f in self.fields if f in self.max_lengths}


class TextLayoutError(ExchangeError, ValueError):
    """A value cannot be written in the text layout (it would break the file)."""


def render_text_file(export: pd.DataFrame, layout: TextLayout) -> bytes:
    """The whole file as ASCII bytes: a header line, one line per child, no trailer."""
    columns = []
    for name in layout.fields:
        values = export[FIELD_SOURCES[name]]
        if name == "DOB":
            text = values.dt.strftime(layout.date_format)
        else:
            text = values.astype("object").where(values.notna(), "").astype(str)
        columns.append(text.fillna("").tolist())
    lines = [layout.delimiter.join(layout.fields)]
    limits = [layout.max_lengths.get(name) for name in layout.fields]
    for row_number, row in enumerate(zip(*columns, strict=True), start=1):
        for name, value, limit in zip(layout.fields, row, limits, strict=True):
            if layout.delimiter in value or "\r" in value or "\n" in value:
                raise TextLayoutError(
                    f"export row {row_number}, field {name}: value contains the delimiter or a line break"
                )
            if limit is not None and len(value) > limit:  # wrangle_export rejects such rows first
                raise TextLayoutError(f"export row {row_number}, field {name}: longer than the layout's "
                                      f"{limit} characters")
        lines.append(layout.delimiter.join(row))
    text = layout.line_ending.join(lines) + layout.line_ending
    try:
        return text.encode("ascii")
    except UnicodeEncodeError as exc:
        line = text[: exc.start].count("\n") + 1
        raise TextLayoutError(f"text file line {line}: a character is not ASCII") from None


def submitted_person_ids(data: bytes, layout: TextLayout) -> set[int]:
    """The DFPS_PERSON_IDs of a text file written in `layout` (what DPS was sent)."""
    column = list(layout.fields).index("DFPS_PERSON_ID")
    lines = [line for line in data.decode("ascii").split(layout.line_ending)[1:] if line]
    return {int(line.split(layout.delimiter)[column]) for line in lines}
