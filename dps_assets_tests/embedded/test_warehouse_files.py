"""The embedded data's files: private and nothing else in their folder, an existing file replaced
whole, and a command line that prints counts only (never a name or a date)."""

from __future__ import annotations

import re
import stat
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from dps_assets.embedded.warehouse import TCIC_FILE, WAREHOUSE_FILE, build_warehouse, main
from dps_assets.embedded.warehouse_catalogue import read_agency_data
from dps_assets_tests.support.embedded_files import LOOKUP_SQL, query_warehouse


def test_files_are_private_and_complete(warehouse_folder: Path) -> None:
    assert stat.S_IMODE(warehouse_folder.stat().st_mode) == 0o700
    for name in (WAREHOUSE_FILE, TCIC_FILE):
        assert stat.S_IMODE((warehouse_folder / name).stat().st_mode) == 0o600
    assert sorted(p.name for p in warehouse_folder.iterdir()) == sorted([WAREHOUSE_FILE, TCIC_FILE])


def test_build_warehouse_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "new" / "caps.duckdb"
    target.parent.mkdir()
    target.write_text("not a database")
    summary = build_warehouse(target, seed=1, first_fiscal_year=2025, last_day=date(2024, 12, 31),
                              scale=0.01)
    assert summary.counties == 254 and summary.runaway_events > 0
    assert list(summary.runaway_events_by_fiscal_year) == [2025]
    assert sorted(p.name for p in target.parent.iterdir()) == ["caps.duckdb"]
    _, rows = query_warehouse(target.parent, LOOKUP_SQL)
    assert len(rows) == 254


def test_cli_prints_counts_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    assert main(["--out-dir", str(out), "--seed", "3", "--scale", "0.01",
                 "--first-fiscal-year", "2025", "--last-day", "2025-01-31"]) == 0
    printed = capsys.readouterr().out
    assert "254 counties" in printed and "missing-person entries" in printed
    person = read_agency_data(out / WAREHOUSE_FILE).person
    for name in pd.concat([person["first_name"], person["last_name"]]).dropna():
        if len(name.strip()) > 3:
            assert name.strip() not in printed
    assert not re.search(r"\d{4}-\d{2}-\d{2}", printed)
