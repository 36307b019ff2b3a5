"""The shipped export queries (production's and the demo's, which must agree) keep a child whose
CVS_START is unknown unless the episode ended before the window (spec §3: an unknown start never
drops a child), run against a copy of the embedded warehouse."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dps_assets.config.schema import load_config
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.resources.database import WarehouseResource

REPO = Path(__file__).resolve().parents[2]
Q4 = FiscalQuarter(2026, 4)


@pytest.mark.parametrize("config", ["dps_config.yml", "dps_config.demo.yml"])
def test_an_unknown_cvs_start_keeps_the_child_unless_the_episode_ended_before_the_window(
        config, tmp_path, embedded_data):
    path = tmp_path / "caps.duckdb"
    shutil.copyfile(embedded_data / "caps.duckdb", path)
    with duckdb.connect(str(path)) as con:
        top = con.execute("select max(person_id) from person").fetchone()[0]
        episode = con.execute("select max(cvs_episode_id) from cvs_episode").fetchone()[0]
        for n, cvs_end in enumerate([None, date(2026, 1, 31), date(2024, 6, 30)], start=1):
            con.execute("insert into person values (?, 'SAM', null, 'DOE', ?, 'M', 'WT')", [top + n, date(2012, 1, 1)])
            con.execute("insert into cvs_episode values (?, ?, 'Travis', null, ?)", [episode + n, top + n, cvs_end])
    export_sql = load_config(REPO / config).sql.export
    warehouse = WarehouseResource(driver="duckdb", duckdb_path=str(path), dsn=None, user=None, password=None,
                                  fetch_batch_rows=1000, export_sql=export_sql, sa_98_sql="select 1",
                                  county_region_sql="select 1")
    rows = warehouse.conservatorship(Q4.window_start, Q4.window_end)
    ids = set(rows[[c for c in rows.columns if c.upper() == "PERSON_ID"][0]])
    assert {top + 1, top + 2} <= ids  # still open, or ended inside the window
    assert top + 3 not in ids  # ended before the window
