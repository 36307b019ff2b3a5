from pathlib import Path

import pytest
import yaml

from dps_assets.config.schema import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path, data) -> Path:
    path = tmp_path / "dps_config.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def demo():
    return yaml.safe_load((REPO / "dps_config.demo.yml").read_text())


def test_both_shipped_configurations_are_valid():
    production = load_config(REPO / "dps_config.yml")
    assert production.database.driver == "oracle"
    assert production.directories.archive_root == "/home/scripts/dps_batch/archive"
    assert production.email.recipients == ["somebody@dfps.texas.gov"]
    assert production.matching.tolerance_days == 7
    demo_config = load_config(REPO / "dps_config.demo.yml")
    assert demo_config.database.driver == "duckdb"
    # The demo's SQL is production's SQL, word for word.
    assert demo_config.sql == production.sql


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    config = load_config(write(tmp_path, demo()))
    assert config.database.duckdb_path == str(tmp_path / "var/demo/data/caps.duckdb")
    assert config.directories.log_root == str(tmp_path / "var/demo/logs")
    data = demo()
    data["email"].update(security="starttls", ca_file="certs/relay-ca.pem")
    assert load_config(write(tmp_path, data)).email.ca_file == str(tmp_path / "certs/relay-ca.pem")
    data["sharepoint"] = {"ca_file": "certs/proxy-ca.pem"}
    assert load_config(write(tmp_path, data)).sharepoint.ca_file == str(tmp_path / "certs/proxy-ca.pem")


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda c: c["sftp"].update(port="twenty-two"), "sftp.port: Input should be a valid integer"),
        (lambda c: c["sftp"].update(pasword_env="X"), "sftp.pasword_env: unknown key"),
        (lambda c: c.pop("email"), "email: Field required"),
        (lambda c: c["database"].update(driver="oracle"), "driver 'oracle' needs dsn, user, password_env"),
        (lambda c: c["export_layout"].__setitem__("fields", ["DOB", "SHOE_SIZE"]), "export_layout.fields"),
        (lambda c: c["matching"].update(tolerance_days=-1), "matching.tolerance_days"),
        (lambda c: c["sftp"].update(password_env="not a name"), "sftp.password_env"),
        (lambda c: c["sftp"].pop("password_env"), "set password_env or private_key_file"),
        (lambda c: c["email"].update(username="relay"), "email: Value error, username and password_env go"),
        (lambda c: c["email"].update(username="relay", password_env="SMTP_PASSWORD"),
         "a login needs security starttls or ssl"),
        (lambda c: c.update(sharepoint={"enabled": True, "site_id": "s", "tenant_id": "t"}),
         "sharepoint: Value error, enabled needs library_path, client_id, client_secret_env"),
        (lambda c: c["sftp"].update(remote_file_mode=420), "sftp.remote_file_mode: Input should be a valid string"),
        (lambda c: c["sftp"].update(remote_file_mode="644"), "sftp.remote_file_mode: String should match"),
        (lambda c: c["email"].update(security="tls"), "email.security: Input should be 'plain', 'starttls'"),
        (lambda c: c["email"].update(transport="graph"), "email.transport: Input should be 'smtp'"),
        (lambda c: c.update(sharepoint={"timeout_s": 0}), "sharepoint.timeout_s: Input should be greater than 0"),
        (lambda c: c.update(sharepoint={"max_retry_wait_s": 7200}),
         "sharepoint.max_retry_wait_s: Input should be less than or equal to 3600"),
        (lambda c: c.update(sharepoint={"login_url": "http://login.microsoftonline.us"}),
         "sharepoint.login_url: String should match pattern '^https://'"),
    ],
)
def test_errors_name_the_key_and_the_problem(tmp_path, edit, expected):
    data = demo()
    data.setdefault("export_layout", {})
    edit(data)
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, data))
    assert expected in str(caught.value)
    assert str(tmp_path / "dps_config.yml") in str(caught.value)


def test_a_secret_written_into_yaml_is_refused(tmp_path):
    data = demo()
    data["sftp"]["password"] = "hunter2"
    with pytest.raises(ConfigError, match="sftp.password: unknown key"):
        load_config(write(tmp_path, data))


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("database: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


@pytest.mark.parametrize("to_dfps, expected", [("/TO_DFPS", "/TO_DFPS/processed"),
                                               ("/TO_DFPS/", "/TO_DFPS/processed")])
def test_the_processed_folder_defaults_to_one_inside_the_drop_folder(tmp_path, to_dfps, expected):
    data = demo()
    data["sftp"]["to_dfps_folder"] = to_dfps
    assert "processed_folder" not in data["sftp"]
    assert load_config(write(tmp_path, data)).sftp.processed_folder == expected
    data["sftp"]["processed_folder"] = "/DELIVERED"
    assert load_config(write(tmp_path, data)).sftp.processed_folder == "/DELIVERED"


def test_mail_leaves_through_the_smtp_relay_unless_another_transport_is_named(tmp_path):
    assert load_config(write(tmp_path, demo())).email.transport == "smtp"
