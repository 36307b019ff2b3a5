"""The installed units as the installer and dps-as-service read them: a unit with its drop-ins,
list settings reset by an empty value, environment files as systemd reads them, and host paths
under an install's root."""

from __future__ import annotations

from pathlib import Path

import pytest

from dps_assets.service.as_service import unit_name
from dps_assets.service.units import Unit, environment_file, rooted_value

UNIT = """[Unit]
Description=x
LoadCredential=NOT_A_SERVICE_LINE:/nowhere

[Service]
User=dpsexchange
# LoadCredential=COMMENTED:/etc/dps-exchange/credentials/COMMENTED
LoadCredential=DAGSTER_PG_PASSWORD:/etc/dps-exchange/credentials/DAGSTER_PG_PASSWORD
Environment="GREETING=hello world" PLAIN=1
EnvironmentFile=/etc/dps-exchange/dps-exchange.env
EnvironmentFile=-/etc/dps-exchange/optional.env
ReadWritePaths=/var/lib/dps-exchange \\
  -/home/scripts/dps_batch
UMask=0022
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    units = tmp_path / "etc" / "systemd" / "system"
    (units / "dps-exchange-code.service.d").mkdir(parents=True)
    (units / "dps-exchange-code.service").write_text(UNIT)
    (units / "dps-exchange-code.service.d" / "b.conf").write_text("[Service]\nUMask=0077\n")
    (units / "dps-exchange-code.service.d" / "a.conf").write_text(
        "[Service]\nLoadCredential=\nLoadCredential=DPS_DB_PASSWORD:/etc/dps-exchange/credentials/DPS_DB_PASSWORD\n")
    etc = tmp_path / "etc" / "dps-exchange"
    etc.mkdir()
    (etc / "dps-exchange.env").write_text(
        "# comment\n; another\nDAGSTER_HOME=/var/lib/dps-exchange/dagster_home\nDPS_CONFIG='/etc/dps-exchange/x.yml'\n"
        "DAGSTER_PG_HOST = \"db.example\"\nPLAIN=2\n")
    return tmp_path


def test_a_unit_is_read_with_its_drop_ins_in_name_order(root):
    unit = Unit.read(root / "etc" / "systemd" / "system", "dps-exchange-code")
    assert unit.setting("User") == "dpsexchange"
    assert unit.setting("UMask") == "0077"  # b.conf, after the unit
    # a.conf's empty LoadCredential= drops the unit's own line, as in systemd
    assert unit.credentials() == {"DPS_DB_PASSWORD": "/etc/dps-exchange/credentials/DPS_DB_PASSWORD"}
    assert unit.read_write_paths() == ["/var/lib/dps-exchange", "/home/scripts/dps_batch"]


def test_its_environment_comes_from_its_lines_then_its_files_under_the_root(root):
    unit = Unit.read(root / "etc" / "systemd" / "system", "dps-exchange-code.service")
    assert unit.environment(root) == {
        "GREETING": "hello world", "PLAIN": "2",  # the file overrides Environment=
        "DAGSTER_HOME": f"{root}/var/lib/dps-exchange/dagster_home", "DPS_CONFIG": f"{root}/etc/dps-exchange/x.yml",
        "DAGSTER_PG_HOST": "db.example"}


def test_a_missing_environment_file_not_marked_optional_fails(root):
    (root / "etc" / "dps-exchange" / "dps-exchange.env").unlink()
    with pytest.raises(FileNotFoundError):
        Unit.read(root / "etc" / "systemd" / "system", "dps-exchange-code").environment(root)


def test_only_the_exchanges_own_folders_are_rooted(tmp_path):
    assert rooted_value(tmp_path, "/opt/dps-exchange/.venv") == f"{tmp_path}/opt/dps-exchange/.venv"
    assert rooted_value(tmp_path, "/opt/dps-exchange-other") == "/opt/dps-exchange-other"
    assert rooted_value(tmp_path, "127.0.0.1") == "127.0.0.1"
    assert rooted_value(Path("/"), "/opt/dps-exchange/.venv") == "/opt/dps-exchange/.venv"  # a host: as written
    assert environment_file(Path(__file__).parents[2] / "deploy" / "webserver-readonly.env.example") == {
        "DAGSTER_PG_USER": "dagster_readonly"}
    assert unit_name("code") == unit_name("dps-exchange-code.service") == "dps-exchange-code.service"
