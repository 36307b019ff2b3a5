"""The agency's SMTP relay: plain, STARTTLS or SSL, login optional."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Literal

from dagster import ConfigurableResource
from pydantic import Field

from dps_assets.core.errors import ExchangeError


class EmailError(ExchangeError, RuntimeError):
    """The relay refused or could not be reached. The message names the relay, not the content."""


class SmtpResource(ConfigurableResource):
    host: str
    port: int = 25
    security: Literal["plain", "starttls", "ssl"] = "starttls"
    ca_file: str | None = Field(default=None, description="PEM bundle trusted for the relay's "
                                "certificate; the system's trust store when unset")
    username: str | None = None
    password: str | None = Field(default=None, description="from an environment variable")
    sender: str
    recipients: list[str] = Field(description="who receives the quarterly reports")
    operators: list[str] = Field(description="who is alerted when something goes wrong")
    timeout_s: float = 30

    @property
    def where(self) -> str:
        return f"smtp://{self.host}:{self.port} ({self.security})"

    def _tls_context(self) -> ssl.SSLContext:
        # Certificate and host name are always verified: a relay that cannot prove who it is
        # never receives the reports or the password.
        return ssl.create_default_context(cafile=self.ca_file)

    def send(self, message: EmailMessage) -> None:
        if "From" not in message:
            message["From"] = self.sender
        try:
            if self.security == "ssl":
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s,
                                          context=self._tls_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        except (smtplib.SMTPException, OSError) as exc:
            raise EmailError(f"{self.where}: sending failed: {_reason(exc)}") from None
        try:
            if self.security == "starttls":
                client.starttls(context=self._tls_context())
            if self.username:
                client.login(self.username, self.password or "")
            refused = client.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise EmailError(f"{self.where}: sending failed: {_reason(exc)}") from None
        finally:
            _quit_quietly(client)
        if refused:
            raise EmailError(f"{self.where}: recipients refused: {', '.join(sorted(refused))}")


def _quit_quietly(client: smtplib.SMTP) -> None:
    """Once the relay answered 250 to DATA the message is its to deliver: a relay that then
    fails QUIT (421, a dropped connection) has still accepted it, so that is not an error."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()


def _reason(exc: BaseException) -> str:
    """What went wrong, without the relay's free text beyond the first line (capped)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {(text.splitlines() or [''])[0][:200]}"
    return f"{type(exc).__name__}: {str(exc)[:200]}"
