"""The mailer: whatever carries the exchange's email (the quarterly reports, the operators'
alerts). Assets and sensors take the resource `mailer: Mailer` and use only what is declared here,
so they do not know how mail leaves.

One implementation exists: `smtp_mailer.SmtpMailer`, the agency's SMTP relay
(`email.transport: smtp`, the default). Another mail system, e.g. Microsoft Graph's sendMail, is
one more module beside it (`graph_mailer.py` with `GraphMailer(Mailer)` implementing `where` and
`send`), listed in `MAILERS` (`resources/__init__.py`) under its `email.transport` name, whose
settings (tenant, client id, `client_secret_env`) join the configuration's email section
(`config/schema.py`, `EmailConfig`); nothing that sends mail changes."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from email.message import EmailMessage

from dagster import ConfigurableResource
from pydantic import Field

from dps_assets.core.privacy.errors import ExchangeError
from dps_assets.core.reconciliation.emails import ReportEmailSettings


class EmailError(ExchangeError, RuntimeError):
    """The mail system refused the message or could not be reached. The message names the mail
    system (`where`), never the content."""


class Mailer(ConfigurableResource):
    """Sends a message and knows who receives what. Every implementation has these settings."""

    sender: str = Field(description="the From address of every message")
    recipients: list[str] = Field(description="who receives the quarterly reports")
    operators: list[str] = Field(description="who is alerted when something goes wrong")
    subject_prefix: str | None = Field(description="starts the reports' email's subject (e.g. [SECURE], "
                                       "which makes the agency's mail system encrypt it), or none")
    confidentiality_notice: str = Field(description="opens the reports' email: its attachments hold "
                                        "children's names and dates of birth")

    @property
    def report_email_settings(self) -> ReportEmailSettings:
        return ReportEmailSettings(self.confidentiality_notice, self.subject_prefix)

    @property
    @abstractmethod
    def where(self) -> str:
        """The mail system, as error messages and logs name it (no secret)."""

    @abstractmethod
    def send(self, message: EmailMessage, before_handover: Callable[[], None] | None = None) -> None:
        """Hand `message` over (From: `sender` unless set); returns once the mail system has
        accepted it, raises EmailError otherwise. `before_handover` is called once the mail system
        has been reached and is about to take the message itself (SMTP: right before DATA), and
        not at all when sending fails earlier: after it, a failure (or the process dying) may
        leave the message accepted. When it raises, nothing is handed over and its error passes
        through."""
