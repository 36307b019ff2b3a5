"""`End_txt_file.txt`: the list of children in the layout DPS reads (spec §3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from dps_assets.core.errors import ExchangeError

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


class TextLayoutError(ExchangeError, ValueError):
    """A value cannot be written in the text layout (it would break the file)."""


def render_text_file(export: pd.DataFrame, layout: TextLayout) -> bytes:
    """The whole file as ASCII bytes: a header line, one line per child, no trailer."""
    columns = []
    for field in layout.fields:
        values = export[FIELD_SOURCES[field]]
        if field == "DOB":
            text = values.dt.strftime(layout.date_format)
        else:
            text = values.astype("object").where(values.notna(), "").astype(str)
        columns.append(text.fillna("").tolist())
    lines = [layout.delimiter.join(layout.fields)]
    for row_number, row in enumerate(zip(*columns), start=1):
        for field, value in zip(layout.fields, row):
            if layout.delimiter in value or "\r" in value or "\n" in value:
                raise TextLayoutError(
                    f"export row {row_number}, field {field}: value contains the delimiter or a line break"
                )
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
