"""Each setting is defined once, in the configuration schema: the resources declare the fields
they take with no default of their own and are built from their sections key by key, secrets as
`EnvVar`s that Dagster reads when a run starts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dagster import ConfigurableResource, Definitions, EnvVar, asset, define_asset_job, materialize
from pydantic_core import PydanticUndefined

from dps_assets.config.delivery import EmailConfig, SharePointConfig
from dps_assets.config.schema import SftpConfig, load_config
from dps_assets.resources import build_resources
from dps_assets.resources.database import WarehouseResource
from dps_assets.resources.settings import from_config
from dps_assets.resources.sftp import SftpResource
from dps_assets.resources.sharepoint import SharePointResource
from dps_assets.resources.smtp_mailer import SmtpMailer

REPO = Path(__file__).resolve().parents[2]


def configured(tmp_path: Path, edit=lambda data: None) -> dict[str, object]:
    data = yaml.safe_load((REPO / "dps_config.demo.yml").read_text())
    edit(data)
    path = tmp_path / "dps_config.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return build_resources(load_config(path))


@pytest.mark.parametrize("config", ["dps_config.yml", "dps_config.demo.yml"])
def test_no_resource_has_a_default_of_its_own(config):
    resources = build_resources(load_config(REPO / config))
    configurable = {k: r for k, r in resources.items() if isinstance(r, ConfigurableResource)}
    assert set(configurable) == {"warehouse", "sftp", "local_files", "exchange_rules", "mailer", "sharepoint",
                                 "operator_alerts"}
    for key, resource in configurable.items():
        defaulted = {name: field.default for name, field in type(resource).model_fields.items()
                     if field.default is not PydanticUndefined or field.default_factory is not None}
        # The upload's file mode falls back on the configuration's own default (see the next test).
        expected = {"remote_file_mode": SftpConfig.model_fields["remote_file_mode"].default} if key == "sftp" else {}
        assert defaulted == expected, key


def test_a_launch_that_overrides_the_sftp_settings_without_the_file_mode_still_restricts_uploads(tmp_path):
    sftp = configured(tmp_path)["sftp"]
    seen = []

    @asset
    def reads_the_mode(sftp: SftpResource) -> None:
        seen.append(sftp.remote_file_mode)

    launch = {key: value for key, value in sftp.model_dump().items()
              if key not in ("remote_file_mode", "password")}  # optional ones may be left out
    job = Definitions(assets=[reads_the_mode], jobs=[define_asset_job("reads", [reads_the_mode])],
                      resources={"sftp": sftp}).resolve_job_def("reads")
    assert job.execute_in_process(run_config={"resources": {"sftp": {"config": launch}}}).success
    assert seen == ["0600"]


def test_the_schemas_defaults_reach_the_resources(tmp_path):
    def leave_defaults(data: dict) -> None:
        for key in ("port", "connect_timeout_s", "banner_timeout_s", "auth_timeout_s"):
            del data["sftp"][key]
        del data["email"]["port"], data["email"]["security"]
        data.pop("export_layout", None), data.pop("matching", None), data.pop("sharepoint", None)

    resources = configured(tmp_path, leave_defaults)
    sftp, mailer, rules = resources["sftp"], resources["mailer"], resources["exchange_rules"]
    assert (sftp.port, sftp.connect_timeout_s, sftp.io_timeout_s) == (22, 15, 60)
    assert (sftp.processed_folder, sftp.remote_file_mode, sftp.upload_strategy) == (
        "/TO_DFPS/processed", "0600", "temporary_name")
    assert (mailer.port, mailer.security, mailer.timeout_s) == (25, "starttls", 30)
    assert (rules.delimiter, rules.line_ending, rules.match_tolerance_days) == ("|", "\r\n", 7)
    assert rules.text_fields[0] == "DFPS_PERSON_ID" and rules.race_map["AA"] == "B"
    assert rules.text_layout.length_limits() == {"PERSON_ID": 16, "LAST_NAME": 30, "FIRST_NAME": 30,
                                                 "MIDDLE_NAME": 30}
    assert resources["warehouse"].fetch_batch_rows == 10_000
    sharepoint = resources["sharepoint"]
    assert (sharepoint.enabled, sharepoint.timeout_s) == (False, 60)
    assert sharepoint.graph_url == "https://graph.microsoft.com/v1.0"


def test_each_secret_is_the_variable_the_configuration_names(tmp_path):
    resources = build_resources(load_config(REPO / "dps_config.yml"))
    password, passphrase = resources["warehouse"].password, resources["sftp"].private_key_passphrase
    assert isinstance(password, EnvVar) and password.env_var_name == "DPS_DB_PASSWORD"
    assert isinstance(passphrase, EnvVar) and passphrase.env_var_name == "DPS_SFTP_KEY_PASSPHRASE"
    assert resources["sftp"].password is None  # no variable named: no password
    assert resources["mailer"].password is None and resources["sharepoint"].client_secret is None


def test_a_secret_is_read_when_a_run_starts(tmp_path, monkeypatch):
    warehouse = configured(tmp_path, lambda data: data["database"].update(password_env="DPS_TEST_DB_SECRET"))[
        "warehouse"]
    seen = []

    @asset
    def reads_the_password(warehouse: WarehouseResource) -> None:
        seen.append(warehouse.password)

    monkeypatch.setenv("DPS_TEST_DB_SECRET", "set-after-loading")
    assert materialize([reads_the_password], resources={"warehouse": warehouse}).success
    assert seen == ["set-after-loading"]


def test_a_key_without_a_field_or_a_field_without_a_key_is_refused():
    email = EmailConfig(host="relay.invalid", sender="a@b.invalid", recipients=["c@d.invalid"],
                        operators=["e@f.invalid"])
    with pytest.raises(TypeError, match=r"SmtpMailer: .*no field for \['transport'\], no key for \[\]"):
        from_config(SmtpMailer, email)
    with pytest.raises(TypeError, match=r"SharePointResource: .*no field for \[\], no key for \['timeout_s'\]"):
        from_config(SharePointResource, SharePointConfig(), leave_out={"timeout_s"})
    with pytest.raises(TypeError, match=r"no field for \['host_name'\]"):
        from_config(SmtpMailer, email, leave_out={"transport", "host"}, host_name="relay.invalid")


def test_a_value_given_directly_replaces_the_configured_one():
    email = EmailConfig(host="relay.invalid", sender="a@b.invalid", recipients=["c@d.invalid"],
                        operators=["e@f.invalid"], username="relay", password_env="RELAY_PASSWORD")
    configured_mailer = from_config(SmtpMailer, email, leave_out={"transport"})
    assert isinstance(configured_mailer.password, EnvVar)
    assert from_config(SmtpMailer, email, leave_out={"transport"}, password="plain").password == "plain"
