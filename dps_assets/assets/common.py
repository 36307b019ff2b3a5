"""What every asset of the exchange shares: owners, partition, metadata helpers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from dagster import AssetKey, AssetRecordsFilter, DagsterInstance, MetadataValue, TableColumn, TableSchema

from dps_assets.core.quarters import FiscalQuarter

OWNERS = ["team:dfps-data-analytics"]


def quarter_metadata(quarter: FiscalQuarter) -> dict[str, object]:
    """Shown on every materialisation, so the UI reads `FY2025-Q1`, not just `2024-09-01`."""
    return {
        "fiscal_quarter": quarter.label,
        "window": f"{quarter.window_start.isoformat()} .. {quarter.window_end.isoformat()}",
    }


def frame_metadata(frame: pd.DataFrame) -> dict[str, object]:
    """Row count and column schema: the shape of the data, never its values."""
    return {
        "dagster/row_count": len(frame),
        "dagster/column_schema": TableSchema(
            columns=[TableColumn(name=str(c), type=str(t)) for c, t in frame.dtypes.items()]
        ),
    }


def path_metadata(path: Path) -> MetadataValue:
    return MetadataValue.path(str(path))


def latest_metadata(instance: DagsterInstance, key: str, partition_key: str) -> tuple[str | None, dict]:
    """The run id and metadata values of an asset partition's latest materialisation."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(key), asset_partitions=[partition_key]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return None, {}
    metadata = records[0].asset_materialization.metadata
    return records[0].run_id, {k: v.value for k, v in metadata.items()}
