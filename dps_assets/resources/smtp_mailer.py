"""The agency's SMTP relay as the mailer (`email.transport: smtp`): plain, STARTTLS or SSL,
login optional."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Literal

from pydantic import Field

from dps_assets.core.reconciliation.emails import date_header
from dps_assets.resources.mailer import EmailError, Mailer

__all__ = ["EmailError", "SmtpMailer"]


class SmtpMailer(Mailer):
    """Mail through an SMTP relay; its settings are the email section's (defaults there)."""

    host: str = Field(description="the relay")
    port: int
    security: Literal["plain", "starttls", "ssl"]
    ca_file: str | None = Field(description="PEM bundle trusted for the relay's certificate; the "
                                "system's trust store when unset")
    username: str | None = Field(description="login, optional")
    password: str | None = Field(description="from an environment variable")
    timeout_s: float

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
        if "Date" not in message:  # every message leaves with one (RFC 5322), in local time
            message["Date"] = date_header()
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
