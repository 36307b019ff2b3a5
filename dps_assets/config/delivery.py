"""The sections of the configuration that say where the exchange's results go and who hears of
its trouble: the reports' email, SharePoint, and the operators' alerts. Part of the schema
(`config/schema.py` holds the rest and loads the file)."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, field_validator, model_validator

from dps_assets.config.section import EnvVarName, Section
from dps_assets.config.values import (
    DEFAULT_CONFIDENTIALITY_NOTICE,
    EmailAddress,
    HostName,
    NoticeText,
    PlainPath,
    SubjectPrefix,
)


class EmailConfig(Section):
    """Who gets mail, and the mail system it leaves through: `transport` names the mailer
    (`resources/mailer.py`, which says how a second one is added), the other keys are its
    settings. `smtp` (the agency's relay) is the only one today."""

    transport: Literal["smtp"] = "smtp"
    host: HostName
    port: int = Field(default=25, gt=0, lt=65536)
    security: Literal["plain", "starttls", "ssl"] = "starttls"
    ca_file: PlainPath | None = None  # PEM bundle trusted for the relay's certificate; default: the system's
    username: str | None = None
    password_env: EnvVarName | None = None
    sender: EmailAddress
    recipients: list[EmailAddress] = Field(min_length=1)
    operators: list[EmailAddress] = Field(min_length=1)
    timeout_s: float = Field(default=30, gt=0)
    # The reports' email: its subject's prefix, which the agency's mail system may act on
    # (`[SECURE]` encrypts the message), and the notice that opens its body (the attachments
    # hold children's names and dates of birth).
    subject_prefix: SubjectPrefix | None = None
    confidentiality_notice: NoticeText = DEFAULT_CONFIDENTIALITY_NOTICE

    @model_validator(mode="after")
    def _login_and_tls(self) -> EmailConfig:
        if bool(self.username) != bool(self.password_env):
            raise ValueError("username and password_env go together (login is optional, half a login is not)")
        if self.username and self.security == "plain":
            raise ValueError("a login needs security starttls or ssl: the password would cross the network in clear")
        if self.ca_file and self.security == "plain":
            raise ValueError("ca_file is only used with security starttls or ssl")
        return self


class SharePointConfig(Section):
    enabled: bool = False
    site_id: str | None = None
    library_path: PlainPath | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret_env: EnvVarName | None = None
    graph_url: str = Field(default="https://graph.microsoft.com/v1.0", pattern=r"^https://")
    # The Entra ID authority host (msal requires https): https://login.microsoftonline.us for US
    # government tenants, with graph_url https://graph.microsoft.us/v1.0 (DoD: dod-graph.microsoft.us).
    login_url: str = Field(default="https://login.microsoftonline.com", pattern=r"^https://")
    ca_file: PlainPath | None = None  # PEM bundle trusted for Graph and the authority; default: the system's
    timeout_s: float = Field(default=60, gt=0)
    # A throttled call waits as long as Graph's Retry-After asks, up to this; a longer wait fails it.
    max_retry_wait_s: float = Field(default=120, gt=0, le=3600)

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> SharePointConfig:
        needed = ("site_id", "library_path", "tenant_id", "client_id", "client_secret_env")
        missing = [k for k in needed if not getattr(self, k)]
        if self.enabled and missing:
            raise ValueError(f"enabled needs {', '.join(missing)}")
        return self


# Where whatever starts `dagster dev` says the UI is (the demo: `--port`), for a configuration that
# does not set `alerts.ui_base_url` itself.
UI_BASE_URL_ENV_VAR = "DPS_UI_BASE_URL"
DEFAULT_UI_BASE_URL = "http://127.0.0.1:3000"


def _ui_base_url_default() -> str:
    return os.environ.get(UI_BASE_URL_ENV_VAR) or DEFAULT_UI_BASE_URL


class AlertsConfig(Section):
    # The operators' Dagster UI as they reach it (through the proxy): alerts link runs there.
    # Unset: where the launcher of `dagster dev` says it serves it ($DPS_UI_BASE_URL), else port 3000.
    ui_base_url: str = Field(default_factory=_ui_base_url_default, validate_default=True)
    # A Teams or Slack incoming webhook, a second channel that does not depend on the relay.
    webhook_url_env: EnvVarName | None = None
    # Failed SFTP sensor ticks in a row before the operators are alerted (once, and once on recovery).
    sensor_failures_before_alert: int = Field(default=3, ge=1)

    @field_validator("ui_base_url")
    @classmethod
    def _web_address(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")) or not url.isprintable() or " " in url:
            raise ValueError(f"must be a web address starting with http:// or https:// (when the file does "
                             f"not set it, it comes from the environment variable {UI_BASE_URL_ENV_VAR})")
        return url
