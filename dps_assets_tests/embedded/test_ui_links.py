"""The operators' alerts link runs where the UI really is: a configuration that sets
`alerts.ui_base_url` (production, behind its proxy) links there; one that does not (the demo)
links where whatever started `dagster dev` says it serves the UI ($DPS_UI_BASE_URL, which
`DagsterDev` sets from its port: `bin/demo --port 3111` links port 3111), else port 3000."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dps_assets.config.delivery import UI_BASE_URL_ENV_VAR
from dps_assets.config.schema import ConfigError, load_config
from dps_assets.embedded.dagster_dev import DagsterDev
from dps_assets.resources import build_resources

REPO = Path(__file__).resolve().parents[2]
DEMO, PRODUCTION = REPO / "dps_config.demo.yml", REPO / "dps_config.yml"


def run_link(config_path: Path, run_id: str = "0123abcd") -> str:
    return build_resources(load_config(config_path))["operator_alerts"].run_link(run_id)


def test_the_demo_links_the_port_its_launcher_serves_the_ui_on(tmp_path, monkeypatch):
    monkeypatch.delenv(UI_BASE_URL_ENV_VAR, raising=False)
    assert run_link(DEMO) == "http://127.0.0.1:3000/runs/0123abcd"  # nobody said otherwise
    dagster = DagsterDev(tmp_path / "dagster_home", {"DPS_CONFIG": str(DEMO)}, port=3111)
    assert dagster.env[UI_BASE_URL_ENV_VAR] == dagster.url == "http://127.0.0.1:3111"
    # The code location `dagster dev` serves loads the configuration in that environment.
    monkeypatch.setenv(UI_BASE_URL_ENV_VAR, dagster.env[UI_BASE_URL_ENV_VAR])
    assert run_link(DEMO) == "http://127.0.0.1:3111/runs/0123abcd"


def test_a_configured_address_wins_over_the_launchers(monkeypatch):
    monkeypatch.setenv(UI_BASE_URL_ENV_VAR, "http://127.0.0.1:3111")
    assert run_link(PRODUCTION) == "https://dps-exchange.dfps.internal/runs/0123abcd"


def test_a_launcher_cannot_override_what_the_caller_gives(tmp_path):
    dagster = DagsterDev(tmp_path / "dagster_home", {UI_BASE_URL_ENV_VAR: "https://proxy.example"}, port=3111)
    assert dagster.env[UI_BASE_URL_ENV_VAR] == "https://proxy.example"


@pytest.mark.parametrize("where", ["file", "environment"])
def test_an_address_that_is_no_web_address_is_refused_naming_where_it_comes_from(tmp_path, monkeypatch, where):
    data = yaml.safe_load(DEMO.read_text())
    if where == "file":
        data["alerts"] = {"ui_base_url": "127.0.0.1:3111"}
    else:
        monkeypatch.setenv(UI_BASE_URL_ENV_VAR, "127.0.0.1:3111")
    path = tmp_path / "dps_config.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"alerts\.ui_base_url: Value error, must be a web address .*"
                                          rf"{UI_BASE_URL_ENV_VAR}"):
        load_config(path)
