"""The sending half's heavy steps at production volume (≈60,000 children a fiscal year):
export query on the DuckDB warehouse, wrangling, pandera validation, the text file, the workbook.

    .venv/bin/python bench/bench_export.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import measured
from dps_assets.config.schema import load_config
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.export.text_file import TextLayout, render_text_file
from dps_assets.core.export.workbook import build_export_workbook
from dps_assets.core.export.wrangling import CodeMaps, wrangle_export
from dps_assets.core.schemas import EXPORT_SCHEMA, validate
from dps_assets.embedded.warehouse import build_embedded_data
from dps_assets.resources.database import WarehouseResource

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    config = load_config(REPO / "dps_config.demo.yml")
    quarter = FiscalQuarter(2026, 4)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        with measured(f"build warehouse (scale {args.scale})"):
            build_embedded_data(folder, seed=1, first_fiscal_year=2025, last_day=date(2026, 11, 22), scale=args.scale)
        warehouse = WarehouseResource(driver="duckdb", duckdb_path=str(folder / "caps.duckdb"),
                                      fetch_batch_rows=config.database.fetch_batch_rows,
                                      export_sql=config.sql.export, sa_98_sql=config.sql.sa_98,
                                      county_region_sql=config.sql.county_region)
        with measured("export query"):
            rows = warehouse.conservatorship(quarter.window_start, quarter.window_end)
        layout = config.export_layout
        with measured(f"wrangle {len(rows)} rows"):
            text_layout = TextLayout(fields=layout.fields, max_lengths=layout.max_lengths.model_dump())
            split = wrangle_export(rows, quarter.window_end, CodeMaps(layout.sex_map, layout.race_map),
                                   text_layout.length_limits())
        with measured(f"pandera validation of {len(split.sent)} rows"):
            sent = validate(EXPORT_SCHEMA, split.sent, "export")
        with measured("render End_txt_file.txt"):
            text = render_text_file(sent, text_layout)
        print(f"{'':45} {len(text) / 1e6:8.2f} MB text file")
        with measured("write end_export.xlsx"):
            build_export_workbook(folder / "end_export.xlsx", sent, split.rejected, about=[("Rows", len(sent))])
        print(f"{'':45} {(folder / 'end_export.xlsx').stat().st_size / 1e6:8.2f} MB workbook")


if __name__ == "__main__":
    main()
