"""The reports' email's agency settings (`email.subject_prefix`, `email.confidentiality_notice`):
both shipped configurations set them, a missing notice gets the default wording, and values that
would break the header or the body are refused when the configuration loads."""

from pathlib import Path

import pytest
import yaml

from dps_assets.config.schema import ConfigError, load_config
from dps_assets.config.values import DEFAULT_CONFIDENTIALITY_NOTICE

REPO = Path(__file__).resolve().parents[2]


def demo_with(tmp_path: Path, **email: object) -> Path:
    data = yaml.safe_load((REPO / "dps_config.demo.yml").read_text())
    data["email"].update(email)
    for key in [k for k, v in email.items() if v is None]:
        del data["email"][key]
    path = tmp_path / "dps_config.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_both_shipped_configurations_word_the_notice_and_say_the_prefix():
    for name in ("dps_config.yml", "dps_config.demo.yml"):
        text = (REPO / name).read_text()
        assert "subject_prefix:" in text and "confidentiality_notice:" in text
    production, shipped_demo = load_config(REPO / "dps_config.yml"), load_config(REPO / "dps_config.demo.yml")
    assert production.email.subject_prefix is None  # until the agency names its encryption prefix
    assert shipped_demo.email.subject_prefix == "[SECURE]"
    assert production.email.confidentiality_notice == DEFAULT_CONFIDENTIALITY_NOTICE
    assert "names and dates of birth" in shipped_demo.email.confidentiality_notice


def test_without_the_keys_there_is_no_prefix_and_the_default_notice(tmp_path):
    email = load_config(demo_with(tmp_path, subject_prefix=None, confidentiality_notice=None)).email
    assert email.subject_prefix is None
    assert email.confidentiality_notice == DEFAULT_CONFIDENTIALITY_NOTICE


def test_the_agencys_wording_is_kept_line_by_line(tmp_path):
    notice = "OFFICIAL USE ONLY\nThis message contains confidential information (Tex. Fam. Code).\n"
    email = load_config(demo_with(tmp_path, subject_prefix="[ENCRYPT]", confidentiality_notice=notice)).email
    assert (email.subject_prefix, email.confidentiality_notice) == ("[ENCRYPT]", notice)


@pytest.mark.parametrize("email, expected", [
    ({"subject_prefix": "[SECURE]\nBcc: someone@example.invalid"},
     "email.subject_prefix: Value error, must be one line"),
    ({"subject_prefix": " [SECURE]"}, "email.subject_prefix: Value error, must be one line"),
    ({"subject_prefix": "[" + "S" * 60 + "]"}, "email.subject_prefix: Value error, must be at most 40 characters"),
    ({"subject_prefix": ""}, "email.subject_prefix: Value error, must not be empty"),
    ({"confidentiality_notice": "   "}, "email.confidentiality_notice: Value error, must not be empty"),
    ({"confidentiality_notice": "x" * 2001}, "email.confidentiality_notice: Value error, must be at most 2000"),
    ({"confidentiality_notice": "CONFIDENTIAL\x1b[2J"}, "email.confidentiality_notice: Value error, must be printable"),
])
def test_what_would_break_the_email_is_refused_naming_the_key(tmp_path, email, expected):
    with pytest.raises(ConfigError) as caught:
        load_config(demo_with(tmp_path, **email))
    assert expected in str(caught.value)
    assert "Bcc" not in str(caught.value)  # the value is not repeated
