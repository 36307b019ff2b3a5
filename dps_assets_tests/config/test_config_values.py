"""Values that parse but would be dangerous are refused when the configuration loads, naming the
file and the key and never repeating the value."""

from pathlib import Path

import pytest
import yaml

from dps_assets.config.schema import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]


def demo() -> dict:
    data = yaml.safe_load((REPO / "dps_config.demo.yml").read_text())
    data.setdefault("export_layout", {})
    data.setdefault("dps_files", {})
    data.setdefault("sharepoint", {})
    return data


def refusal(tmp_path: Path, section: str, key: str, value: object) -> str:
    return refusal_after(tmp_path, lambda data: data[section].__setitem__(key, value))


def refusal_after(tmp_path: Path, edit) -> str:
    data = demo()
    edit(data)
    path = tmp_path / "dps_config.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert str(path) in text
    return text


def loads(tmp_path: Path, section: str, key: str, value: object):
    data = demo()
    data[section][key] = value
    path = tmp_path / "dps_config.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_config(path)


@pytest.mark.parametrize("mode", ["0644", "0640", "0604", "0660", "0700", "0666", "0777", "0601"])
def test_an_upload_mode_wider_than_0600_is_refused(tmp_path, mode):
    text = refusal(tmp_path, "sftp", "remote_file_mode", mode)
    assert "sftp.remote_file_mode: Value error, must not be wider than 0600" in text


@pytest.mark.parametrize("mode, expected", [("0600", "0600"), ("0400", "0400"), (None, None)])
def test_an_upload_mode_of_0600_or_narrower_loads(tmp_path, mode, expected):
    assert loads(tmp_path, "sftp", "remote_file_mode", mode).sftp.remote_file_mode == expected


@pytest.mark.parametrize("section, key", [
    ("export_layout", "text_file_name"), ("export_layout", "workbook_file_name"),
    ("dps_files", "results_file_name"), ("dps_files", "counts_file_name"),
])
@pytest.mark.parametrize("name", ["../evil.txt", "sub/evil.txt", "/etc/evil.txt", "sub\\evil.txt",
                                  "..", "evil..txt", "evil\n.txt", " evil.txt"])
def test_every_file_name_is_a_plain_name(tmp_path, section, key, name):
    text = refusal(tmp_path, section, key, name)
    assert f"{section}.{key}: Value error, must be a plain file name" in text
    assert "evil" not in text


@pytest.mark.parametrize("delimiter", ["", "||", "\t", " ", "\x1f", "A", "7", "-", "'", "é"])
def test_a_delimiter_is_one_printable_character_that_no_field_holds(tmp_path, delimiter):
    text = refusal(tmp_path, "export_layout", "delimiter", delimiter)
    assert "export_layout.delimiter: Value error, must" in text


@pytest.mark.parametrize("delimiter", ["|", ",", ";", "^", "~"])
def test_a_usable_delimiter_loads(tmp_path, delimiter):
    assert loads(tmp_path, "export_layout", "delimiter", delimiter).export_layout.delimiter == delimiter


@pytest.mark.parametrize("key, folder", [
    ("to_dfps_folder", "/from_folder"), ("to_dfps_folder", "/from_folder/"),
    ("to_dfps_folder", "/from_folder/."), ("to_dfps_folder", "/./from_folder"),
    ("to_dfps_folder", "/FROM_FOLDER"),
    ("processed_folder", "/from_folder"), ("processed_folder", "/TO_DFPS/"),
])
def test_dps_pickup_drop_and_processed_folders_differ(tmp_path, key, folder):
    text = refusal(tmp_path, "sftp", key, folder)
    other = "from_folder" if "from" in folder.lower() else "to_dfps_folder"
    assert f"sftp.{key}: Value error, must be a different folder from {other}" in text


def test_equal_file_names_are_refused(tmp_path):
    text = refusal(tmp_path, "dps_files", "counts_file_name", "Dfps-missing-person-results.txt")
    assert "dps_files: Value error, results_file_name and counts_file_name must differ" in text
    text = refusal(tmp_path, "export_layout", "workbook_file_name", "End_txt_file.txt")
    assert "export_layout: Value error, text_file_name and workbook_file_name must differ" in text


@pytest.mark.parametrize("key, value, where", [
    ("sender", "dps-exchange", "email.sender"),
    ("sender", "Exchange <dps@demo.invalid>", "email.sender"),
    ("recipients", ["analysts@demo.invalid", "nobody"], "email.recipients.1"),
    ("recipients", ["ana lysts@demo.invalid"], "email.recipients.0"),
    ("recipients", ["analysts@demo"], "email.recipients.0"),
    ("recipients", ["analysts@demo.invalid\r\nBcc: leak@elsewhere.example"], "email.recipients.0"),
    ("operators", ["@demo.invalid"], "email.operators.0"),
    ("operators", ["ops@@demo.invalid"], "email.operators.0"),
])
def test_senders_recipients_and_operators_are_addresses(tmp_path, key, value, where):
    text = refusal(tmp_path, "email", key, value)
    assert f"{where}: Value error, is not an email address" in text
    assert "leak" not in text and "lysts" not in text


@pytest.mark.parametrize("section, key", [
    ("sftp", "host"), ("email", "host"), ("sftp", "from_folder"), ("sftp", "to_dfps_folder"),
    ("sftp", "processed_folder"), ("sftp", "known_hosts_file"), ("sftp", "username"),
    ("directories", "archive_root"), ("directories", "log_root"), ("directories", "work_root"),
    ("database", "duckdb_path"), ("sql", "export"), ("export_layout", "unknown_code"),
    ("export_layout", "date_format"),
])
@pytest.mark.parametrize("empty", ["", "   "])
def test_empty_hosts_folders_and_paths_are_refused(tmp_path, section, key, empty):
    # `archive_root: ""` resolved to the configuration's own folder before.
    text = refusal(tmp_path, section, key, empty)
    assert f"{section}.{key}: Value error, must" in text


@pytest.mark.parametrize("host", ["sftp.dps.texas.gov/TO_DFPS", "sftp dps", "user@sftp.dps.texas.gov"])
def test_a_host_is_a_host_name(tmp_path, host):
    assert "sftp.host: Value error, must be a host name" in refusal(tmp_path, "sftp", "host", host)


def test_a_nul_in_a_path_is_refused(tmp_path):
    text = refusal(tmp_path, "directories", "archive_root", "var/arch\x00ive")
    assert "directories.archive_root: Value error, must not contain a NUL character" in text


def test_the_shipped_configurations_still_load():
    for name in ("dps_config.yml", "dps_config.demo.yml"):
        config = load_config(REPO / name)
        assert config.sftp.remote_file_mode == "0600"
        assert config.export_layout.line_ending == "\r\n"


def test_one_field_length_may_be_set_and_the_others_keep_their_defaults(tmp_path):
    lengths = loads(tmp_path, "export_layout", "max_lengths", {"LAST_NAME": 40}).export_layout.max_lengths
    assert lengths.model_dump() == {"DFPS_PERSON_ID": 16, "LAST_NAME": 40, "FIRST_NAME": 30, "MIDDLE_NAME": 30}


@pytest.mark.parametrize("lengths, expected", [
    ({"SHOE_SIZE": 3}, "export_layout.max_lengths.SHOE_SIZE: unknown key"),
    ({"LAST_NAME": 0}, "export_layout.max_lengths.LAST_NAME: Input should be greater than or equal to 1"),
    ({"DFPS_PERSON_ID": 20}, "export_layout.max_lengths.DFPS_PERSON_ID: Input should be less than or equal to 19"),
])
def test_a_field_length_is_a_known_field_and_a_usable_number(tmp_path, lengths, expected):
    assert expected in refusal(tmp_path, "export_layout", "max_lengths", lengths)


@pytest.mark.parametrize("section, key", [
    ("database", "duckdb_path"), ("sftp", "known_hosts_file"), ("sftp", "private_key_file"),
    ("sftp", "from_folder"), ("sftp", "to_dfps_folder"), ("sftp", "processed_folder"),
    ("directories", "archive_root"), ("directories", "log_root"), ("directories", "work_root"),
    ("email", "ca_file"), ("sharepoint", "ca_file"),
])
@pytest.mark.parametrize("path", ["../secret", "var/../../secret", "/srv/dps/..", "~/../secret", "..",
                                  "C:\\dps\\..\\secret"])
def test_no_path_climbs_out_of_a_folder(tmp_path, section, key, path):
    def edit(data: dict) -> None:
        data[section][key] = path
        if key == "ca_file":
            data["email"]["security"] = "starttls"

    text = refusal_after(tmp_path, edit)
    assert f"{section}.{key}: Value error, must be a plain path: no '..' component" in text
    assert "secret" not in text


@pytest.mark.parametrize("path", ["var/demo/..archive", "var/demo/archive..", "var/./demo/archive", "~/archive"])
def test_a_path_with_dots_that_climbs_nowhere_loads(tmp_path, path):
    assert loads(tmp_path, "directories", "archive_root", path).directories.archive_root.startswith("/")


def test_a_sharepoint_library_path_does_not_climb_either(tmp_path):
    text = refusal(tmp_path, "sharepoint", "library_path", "Shared Documents/../Private")
    assert "sharepoint.library_path: Value error, must be a plain path: no '..' component" in text
