"""The small synthetic warehouse and TCIC store the embedded data's tests read."""

from __future__ import annotations

from pathlib import Path

import pytest

from dps_assets.embedded.warehouse import build_embedded_data
from dps_assets_tests.support.embedded_files import FIRST_FY, LAST_DAY, SCALE, SEED


@pytest.fixture(scope="session")
def warehouse_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`caps.duckdb` and `tcic.duckdb` built once (seed 7, FY2024 to 2025-03-15, scale 0.02) in
    a folder the build itself creates."""
    out = tmp_path_factory.mktemp("embedded") / "data"
    build_embedded_data(out, seed=SEED, first_fiscal_year=FIRST_FY, last_day=LAST_DAY, scale=SCALE)
    return out
