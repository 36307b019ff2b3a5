"""The code location loads under both shipped configurations, exactly as `dagster dev` and the
daemon load it, and every asset carries what the UI's lineage graph shows an analyst."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, Definitions

from dps_assets.assets.partitions import fiscal_quarter_partitions
from dps_assets.config.schema import load_config
from dps_assets.definitions import build_definitions

REPO = Path(__file__).resolve().parents[2]
DAGSTER = Path(sys.executable).with_name("dagster")

# The design card: the export file, DPS's results and counts, sa_98, the county-region lookup and
# the three quarterly reports, each partitioned by fiscal quarter.
DESIGN_CARD_ASSETS = {
    "dps_export_files", "dps_results", "dps_counts", "sa_98", "county_region_lookup",
    "impact_not_in_dps_report", "dps_not_in_impact_report", "dps_total_runaway_events_report",
}


HISTORY = AssetKey("quarterly_history")


def load_definitions(config: str | Path) -> Definitions:
    """The code location as it is built from a configuration file."""
    return build_definitions(load_config(REPO / config))


@pytest.mark.parametrize("config", ["dps_config.yml", "dps_config.demo.yml"])
def test_dagster_validates_the_workspace(config):
    # No secret is in the environment: secrets are read when a run starts, not when the code loads.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DPS_")} | {"DPS_CONFIG": config}
    done = subprocess.run([DAGSTER, "definitions", "validate", "-w", "workspace.yaml"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation successful" in done.stdout + done.stderr


def test_every_asset_is_described_owned_grouped_kinded_and_partitioned_by_quarter():
    graph = load_definitions("dps_config.demo.yml").resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert DESIGN_CARD_ASSETS <= keys
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description and len(node.description) > 40, key
        assert node.owners == ["team:dfps-data-analytics"], key
        assert any(tag.startswith("dagster/kind/") for tag in node.tags), key
        if key == HISTORY:  # across quarters: of none, after every quarter's delivery
            assert node.group_name == "history" and node.partitions_def is None
            assert node.parent_keys == {AssetKey("dps_report_delivery")}
            continue
        assert node.group_name in {"to_dps", "from_dps", "impact", "reports", "delivery"}, key
        assert node.partitions_def == fiscal_quarter_partitions, key


def test_lineage_runs_from_the_export_to_the_email():
    graph = load_definitions("dps_config.demo.yml").resolve_asset_graph()

    def upstream(name: str) -> set[str]:
        seen, todo = set(), [AssetKey(name)]
        while todo:
            for parent in graph.get(todo.pop()).parent_keys:
                if parent.to_user_string() not in seen:
                    seen.add(parent.to_user_string())
                    todo.append(parent)
        return seen

    assert {"dps_results", "dps_counts", "sa_98", "county_region_lookup", "runaway_event_matches"} \
        <= upstream("dps_total_runaway_events_report")
    assert {"impact_not_in_dps_report", "dps_not_in_impact_report", "dps_total_runaway_events_report",
            "dps_results", "dps_counts"} <= upstream("dps_report_delivery")
    assert "dps_export" in upstream("dps_submission")


def test_the_checks_guard_the_assets_the_spec_names():
    defs = load_definitions("dps_config.demo.yml")
    checks = {(k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    assert checks == {
        ("dps_counts", "dps_counts_reconcile"),
        ("county_region_lookup", "counties_have_regions"),
        ("dps_results", "dps_person_ids_were_submitted"),
        ("dps_results", "dps_entries_in_window"),
        ("sa_98", "sa_98_rows_usable"),
        ("dps_export_files", "dps_export_size_plausible"),
    }


def test_the_sensors_and_schedule_start_as_configured(tmp_path):
    # Both shipped configurations run the automation as soon as the daemon starts; an
    # installation that wants to switch it on by hand says so in one key.
    stopped = yaml.safe_load((REPO / "dps_config.demo.yml").read_text())
    stopped["sensor"]["default_running"] = False
    (tmp_path / "dps_config.yml").write_text(yaml.safe_dump(stopped))
    names = {"dps_files_sensor", "dps_answer_overdue_sensor", "run_failure_alert", "quarterly_submission",
             "daily_retention", "quarterly_history_after_delivery"}
    for config, status in (("dps_config.yml", "RUNNING"), ("dps_config.demo.yml", "RUNNING"),
                           (tmp_path / "dps_config.yml", "STOPPED")):
        defs = load_definitions(config)
        statuses = {s.name: s.default_status.value for s in [*defs.sensors, *defs.schedules]}
        # The quarter calendar touches nothing outside the instance, and without it a new
        # instance has no quarters to pick: it runs whatever the configuration says.
        assert statuses.pop("fiscal_quarter_calendar") == "RUNNING"
        assert statuses == dict.fromkeys(names, status), config
