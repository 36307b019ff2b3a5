"""`first_quarter`, the quarter the exchange went live with: a fiscal quarter's label, one that
has begun, and no default."""

from pathlib import Path

import pytest
import yaml

from dps_assets.config.schema import ConfigError, load_config
from dps_assets.core.exchange.quarters import FiscalQuarter, agency_today
from dps_assets.embedded.stack import FIRST_FISCAL_YEAR

REPO = Path(__file__).resolve().parents[2]


def with_first_quarter(tmp_path: Path, value: object) -> Path:
    data = yaml.safe_load((REPO / "dps_config.demo.yml").read_text())
    if value is None:
        del data["first_quarter"]
    else:
        data["first_quarter"] = value
    path = tmp_path / "dps_config.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_demo_starts_where_its_synthetic_warehouse_starts():
    assert load_config(REPO / "dps_config.demo.yml").first_quarter == FiscalQuarter(FIRST_FISCAL_YEAR, 1)
    assert isinstance(load_config(REPO / "dps_config.yml").first_quarter, FiscalQuarter)


@pytest.mark.parametrize("value", ["FY2026-Q1", "fy2026-q1", "FY2026_Q1", " FY2026-Q1 "])
def test_a_quarter_label_or_file_tag_loads(tmp_path, value):
    assert load_config(with_first_quarter(tmp_path, value)).first_quarter == FiscalQuarter(2026, 1)


@pytest.mark.parametrize("value", ["2026Q1", "FY2026-Q5", "FY26-Q1", "Q1 2026", "", 1999, ["FY2026-Q1"],
                                   "hunter2-Pa55"])
def test_anything_but_a_quarter_is_refused_without_repeating_it(tmp_path, value):
    with pytest.raises(ConfigError) as caught:
        load_config(with_first_quarter(tmp_path, value))
    text = str(caught.value)
    assert "first_quarter: Value error, must be a fiscal quarter's label, like FY2026-Q1" in text
    assert "hunter2" not in text and "2026Q1" not in text


def test_a_quarter_that_has_not_begun_is_refused(tmp_path):
    after_current = FiscalQuarter.containing(agency_today()).next()
    for value in (after_current.label, "FY2099-Q1"):
        with pytest.raises(ConfigError) as caught:
            load_config(with_first_quarter(tmp_path, value))
        assert "first_quarter: Value error, is a quarter that has not begun" in str(caught.value)
    current = FiscalQuarter.containing(agency_today())
    assert load_config(with_first_quarter(tmp_path, current.label)).first_quarter == current


def test_it_has_no_default(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(with_first_quarter(tmp_path, None))
    assert "first_quarter: Field required" in str(caught.value)
