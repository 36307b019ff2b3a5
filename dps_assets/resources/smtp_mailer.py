"""The agency's SMTP relay as the mailer (`email.transport: smtp`): plain, STARTTLS or SSL,
login optional."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from typing import Literal

from pydantic import Field

from dps_assets.core.emails import date_header
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

    def send(self, message: EmailMessage, before_handover: Callable[[], None] | None = None) -> None:
        if "From" not in message:
            message["From"] = self.sender
        if "Date" not in message:  # every message leaves with one (RFC 5322), in local time
            message["Date"] = date_header()
        try:
            if self.security == "ssl":
                client: _Smtp = _SmtpSsl(self.host, self.port, timeout=self.timeout_s,
                                        context=self._tls_context())
            else:
                client = _Smtp(self.host, self.port, timeout=self.timeout_s)
        except (smtplib.SMTPException, OSError) as exc:
            raise EmailError(f"{self.where}: sending failed: {_reason(exc)}") from None
        client.before_data = before_handover
        try:
            if self.security == "starttls":
                client.starttls(context=self._tls_context())
            if self.username:
                client.login(self.username, self.password or "")
            refused = client.send_message(message)
        except _NotHandedOver as stopped:
            raise stopped.error from None
        except (smtplib.SMTPException, OSError) as exc:
            raise EmailError(f"{self.where}: sending failed{_when(client, exc)}: {_reason(exc)}") from None
        finally:
            _quit_quietly(client)
        if refused:
            raise EmailError(f"{self.where}: recipients refused: {', '.join(sorted(refused))}")


class _NotHandedOver(Exception):
    """`before_data` raised: the message was not handed over."""

    def __init__(self, error: Exception):
        super().__init__(type(error).__name__)
        self.error = error


class _Smtp(smtplib.SMTP):
    """smtplib's client calling `before_data` right before DATA, the moment from which the relay
    may hold the message; `handed_over` says whether sending came that far."""

    before_data: Callable[[], None] | None = None
    handed_over = False

    def data(self, msg):  # smtplib's sendmail calls it once MAIL and RCPT were accepted
        if self.before_data is not None:
            try:
                self.before_data()
            except Exception as exc:  # noqa: BLE001 - passed on as it is, by send
                raise _NotHandedOver(exc) from None
        self.handed_over = True
        return super().data(msg)


class _SmtpSsl(_Smtp, smtplib.SMTP_SSL):
    pass


def _when(client: _Smtp, exc: BaseException) -> str:
    if not client.handed_over:
        return ""
    if isinstance(exc, smtplib.SMTPDataError):
        return " (the relay refused the message after DATA)"
    return " while the relay took the message, which it may have accepted"


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
