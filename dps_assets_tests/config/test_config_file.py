"""A configuration file that cannot be read as intended is named by file, line and column and
the kind of problem; nothing typed into it (a password on the wrong line) is repeated, and no
message grows with the file."""

from pathlib import Path

import pytest
import yaml

from dps_assets.config.file import read_mapping
from dps_assets.config.schema import ConfigError, load_config
from dps_assets.core.privacy.errors import failure_text

REPO = Path(__file__).resolve().parents[2]
SECRET = "hunter2-Pa55w0rd"
DEMO_TEXT = (REPO / "dps_config.demo.yml").read_text(encoding="utf-8")


def refused(tmp_path: Path, content: bytes | str) -> str:
    path = tmp_path / "dps_config.yml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    text = str(caught.value)
    assert text.startswith(str(path)), text
    return text


def test_bytes_that_are_not_utf8_are_named_by_line_and_column(tmp_path):
    content = DEMO_TEXT.encode("utf-8") + "email_note: café\n".encode("latin-1")
    line = DEMO_TEXT.count("\n") + 1
    text = refused(tmp_path, content)
    assert text == (f"{tmp_path / 'dps_config.yml'}, line {line}, column 16: "
                    "not valid UTF-8 (save the file as UTF-8)")


def test_a_section_given_twice_is_refused_not_replaced(tmp_path):
    line = DEMO_TEXT.count("\n") + 2
    text = refused(tmp_path, DEMO_TEXT + "\nmatching:\n  tolerance_days: 3\n")
    first = DEMO_TEXT.splitlines().index("matching:") + 1
    assert f"line {line}, column 1: key 'matching' is given twice at the same level " \
           f"(first at line {first}, column 1)" in text


def test_a_key_given_twice_inside_a_section_is_refused(tmp_path):
    content = DEMO_TEXT.replace("  host: 127.0.0.1\n  port: 2222\n",
                                "  host: 127.0.0.1\n  port: 2222\n  host: 10.0.0.1\n", 1)
    assert content != DEMO_TEXT
    text = refused(tmp_path, content)
    assert "key 'host' is given twice at the same level" in text and "10.0.0.1" not in text


def test_a_merge_key_may_still_be_overridden(tmp_path):
    path = tmp_path / "anchors.yml"
    path.write_text("a: &base {k: 1, j: 2}\nb:\n  <<: *base\n  k: 3\n", encoding="utf-8")
    assert read_mapping(path) == {"a": {"k": 1, "j": 2}, "b": {"k": 3, "j": 2}}


@pytest.mark.parametrize("content, line, column, problem", [
    (f"sftp:\n  password: {SECRET}: x\n", 2, 29, "mapping values are not allowed here"),
    (f"sftp:\n\thost: {SECRET}\n", 2, 1, "found character '\\t' that cannot start any token"),
    (f"sftp:\n  host: \"{SECRET}\n", 3, 1, "found unexpected end of stream"),
    (f"sftp:\n  host: !{SECRET} x\n", 2, 9, "could not determine a constructor for the tag '…'"),
    (f"sftp:\n  host: *{SECRET}\n", 2, 9, "found undefined alias '…'"),
    (f"sftp: [{SECRET}\n", 2, 1, "expected ',' or ']', but got '<stream end>'"),
    (f"sftp:\n  host: {SECRET}\x00\n", 2, 25, "character U+0000 is not allowed in a YAML file"),
    (f"sftp:\n  host: \"{SECRET}\\q\"\n", 2, 27, "found unknown escape character 'q'"),
])
def test_a_yaml_error_gives_line_column_and_kind_never_the_line(tmp_path, content, line, column, problem):
    text = refused(tmp_path, content)
    assert f"dps_config.yml, line {line}, column {column}: not valid YAML: {problem}" in text, text
    assert "hunter2" not in text and "Pa55" not in text, text


def test_a_value_yaml_cannot_construct_is_named_without_the_value(tmp_path):
    text = refused(tmp_path, DEMO_TEXT + "\nnote: 2025-02-30\n")
    assert "not valid YAML: a value cannot be read (ValueError)" in text and "2025" not in text


@pytest.mark.parametrize("edit", [
    lambda c: c["sftp"].update(port=SECRET),
    lambda c: c["sftp"].update(remote_file_mode=SECRET),
    lambda c: c["sftp"].update(host=f"{SECRET} x"),
    lambda c: c["email"].update(security=SECRET),
    lambda c: c["email"].update(recipients=SECRET),
    lambda c: c["email"].update(recipients=[SECRET]),
    lambda c: c["email"].update(sender=SECRET),
    lambda c: c["matching"].update(tolerance_days=SECRET),
    lambda c: c.update(sftp=SECRET),
    lambda c: c.update(export_layout={"fields": ["DOB", SECRET]}),
    lambda c: c.update(export_layout={"sex_map": {"M": SECRET}}),
    lambda c: c.update(export_layout={"line_ending": SECRET}),
    lambda c: c.update(export_layout={"delimiter": SECRET}),
    lambda c: c.update(dps_files={"results_file_name": f"../{SECRET}"}),
    lambda c: c.update(sharepoint={"graph_url": f"http://{SECRET}"}),
    lambda c: c["database"].update(password_env=SECRET),
    lambda c: c["database"].update(fetch_batch_rows=SECRET),
    lambda c: c["sftp"].update(pasword=SECRET),
], ids=["port", "remote_file_mode", "host", "security", "recipients_not_a_list", "recipient",
        "sender", "tolerance_days", "section_not_a_mapping", "fields", "sex_map", "line_ending",
        "delimiter", "file_name", "graph_url", "password_env", "fetch_batch_rows", "misspelt_key"])
def test_no_configuration_error_repeats_a_value(tmp_path, edit):
    data = yaml.safe_load(DEMO_TEXT)
    edit(data)
    text = refused(tmp_path, yaml.safe_dump(data))
    assert "problem(s) in the configuration" in text
    assert "hunter2" not in text and "Pa55" not in text, text


def test_a_megabyte_value_or_key_is_not_quoted_whole(tmp_path):
    data = yaml.safe_load(DEMO_TEXT)
    data["export_layout"] = {"fields": ["DOB", "X" * 1_000_000]}
    data["sftp"]["Y" * 1_000_000] = 1
    text = refused(tmp_path, yaml.safe_dump(data, width=2**31))
    assert "XXXXX" not in text
    assert max(len(line) for line in text.splitlines()) < 300, [len(line) for line in text.splitlines()]
    assert "export_layout.fields: Value error, unknown field at position(s) 1" in text
    assert f"sftp.{'Y' * 60}…: unknown key" in text
    assert len(failure_text("ConfigError", text)) < 300


def test_a_thousand_problems_make_a_bounded_message(tmp_path):
    data = yaml.safe_load(DEMO_TEXT)
    data["sftp"].update({f"unknown_{i}": i for i in range(1000)})
    text = refused(tmp_path, yaml.safe_dump(data))
    assert text.splitlines()[0].endswith("1000 problem(s) in the configuration:")
    assert len(text.splitlines()) <= 41 and text.endswith("more line(s)")
    assert len(text) < 20_000
