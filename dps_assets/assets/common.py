"""What every asset of the exchange shares: owners, partition, metadata helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from dagster import MetadataValue, TableColumn, TableSchema

from dps_assets.core.exchange.quarters import FiscalQuarter

if TYPE_CHECKING:
    # What Dagster takes as a metadata value (a MetadataValue, text, a number, a TableSchema, …);
    # Dagster does not export the name.
    from dagster._core.definitions.metadata import RawMetadataValue

OWNERS = ["team:dfps-data-analytics"]

# An asset's or a check's metadata, entry by entry.
Metadata = dict[str, "RawMetadataValue"]


def quarter_metadata(quarter: FiscalQuarter) -> Metadata:
    """Shown on every materialisation, so the UI reads `FY2025-Q1`, not just `2024-09-01`."""
    return {
        "fiscal_quarter": quarter.label,
        "window": f"{quarter.window_start.isoformat()} .. {quarter.window_end.isoformat()}",
    }


def frame_metadata(frame: pd.DataFrame) -> Metadata:
    """Row count and column schema: the shape of the data, never its values."""
    return {
        "dagster/row_count": len(frame),
        "dagster/column_schema": TableSchema(
            columns=[TableColumn(name=str(c), type=str(t)) for c, t in frame.dtypes.items()]
        ),
    }


def markdown_table(frame: pd.DataFrame) -> str:
    """A frame of counts as a Markdown table (text left, numbers right), for metadata."""
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    lines = ["| " + " | ".join(str(c) for c in frame.columns) + " |",
             "|" + "|".join("---:" if n else ":---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(_markdown_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def _markdown_cell(value: object) -> str:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    return str(value).replace("|", "\\|")


def path_metadata(path: Path) -> MetadataValue:
    return MetadataValue.path(str(path))


def utc_text(epoch: float) -> str:
    """Seconds since the epoch as an ISO 8601 UTC time to the second (`2026-09-06T11:00:00+00:00`)."""
    return datetime.fromtimestamp(float(epoch), UTC).isoformat(timespec="seconds")
