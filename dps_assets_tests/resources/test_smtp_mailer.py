"""The SMTP mailer against a real aiosmtpd relay on loopback, in each security mode the
configuration offers: plain, STARTTLS with login, implicit TLS with login. The relay's certificate
is verified every time; a relay that cannot prove who it is receives nothing. The sender is told
right before DATA (to record its intent), and only then: a failure after it may leave the message
with the relay."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dps_assets.config.delivery import EmailConfig
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets.resources import build_mailer
from dps_assets.resources.mailer import EmailError, Mailer
from dps_assets_tests.support.holding_relay import HoldingRelay

USER, PASSWORD = "dps-exchange", "relay-secret"
# An implicit-TLS relay is encrypted from the first byte; aiosmtpd cannot tell and warns.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@dataclass
class Relay:
    port: int
    ca_file: Path
    received: list = field(default_factory=list)
    logins: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's handler API
        self.received.append((session.authenticated, envelope.rcpt_tos, envelope.content))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
            and auth_data.password.decode() == PASSWORD
        self.logins.append(ok)
        return AuthResult(success=ok)


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, standing in for the agency's internal CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test relay")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    return _certificate(tmp_path_factory.mktemp("relay-tls"))


def _server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture(params=["plain", "starttls", "ssl"])
def relay(request, certificate) -> Iterator[tuple[str, Relay]]:
    """A real relay on loopback; STARTTLS and SSL relays demand a login, as the agency's does."""
    mode = request.param
    relay = Relay(port=_free_port(), ca_file=certificate[0])
    options: dict = {}
    if mode == "starttls":
        options = dict(tls_context=_server_context(certificate), require_starttls=True,
                       authenticator=relay.authenticate, auth_required=True, auth_require_tls=True)
    elif mode == "ssl":
        options = dict(ssl_context=_server_context(certificate), authenticator=relay.authenticate,
                       auth_required=True, auth_require_tls=False)
    controller = Controller(relay, hostname="127.0.0.1", port=relay.port, **options)
    controller.start()
    try:
        yield mode, relay
    finally:
        controller.stop()


def _resource(mode: str, relay: Relay, **overrides) -> Mailer:
    """The mailer the email section configures for `relay`; `overrides` set resource fields (the
    password itself, which the configuration only names: Dagster reads it when a run starts)."""
    login = {} if mode == "plain" else {"username": USER, "password_env": "DPS_TEST_SMTP_PASSWORD",
                                        "ca_file": str(relay.ca_file)}
    email = EmailConfig(host="127.0.0.1", port=relay.port, security=mode, timeout_s=10,
                        sender="dps-exchange@example.invalid", recipients=["a@example.invalid"],
                        operators=["ops@example.invalid"], **login)
    return build_mailer(email, **{**({} if mode == "plain" else {"password": PASSWORD}), **overrides})


def _message() -> EmailMessage:
    message = EmailMessage()
    message["To"] = "a@example.invalid"
    message["Subject"] = "DPS missing-person reconciliation FY2026-Q4"
    message.set_content("three workbooks")
    return message


def test_each_security_mode_delivers(relay):
    mode, server = relay
    _resource(mode, server).send(_message())
    [(authenticated, recipients, content)] = server.received
    assert recipients == ["a@example.invalid"]
    assert b"FY2026-Q4" in content
    assert authenticated is (None if mode == "plain" else True)


def test_the_sender_is_told_right_before_the_message_is_handed_over(relay):
    mode, server = relay
    told = []
    _resource(mode, server).send(_message(), before_handover=lambda: told.append(len(server.received)))
    assert told == [0]  # once, logged in, recipients accepted, and the relay not yet holding it
    assert len(server.received) == 1


@pytest.mark.parametrize("relay", ["plain"], indirect=True)
def test_when_the_sender_cannot_note_the_handover_nothing_is_handed_over(relay):
    mode, server = relay

    def ledger_unavailable() -> None:
        raise LookupError("the ledger could not be written")

    with pytest.raises(LookupError, match="the ledger could not be written"):
        _resource(mode, server).send(_message(), before_handover=ledger_unavailable)
    assert server.received == []


@pytest.mark.parametrize("relay", ["starttls", "ssl"], indirect=True)  # a login needs TLS (config)
def test_a_wrong_password_is_a_clear_error_and_sends_nothing(relay):
    mode, server = relay
    told = []
    with pytest.raises(EmailError, match=rf"smtp://127.0.0.1:{server.port} \({mode}\): sending failed"):
        _resource(mode, server, password="wrong").send(_message(), before_handover=lambda: told.append(1))
    assert server.logins == [False] and server.received == []
    assert told == []  # refused before the message: nothing may have been accepted


@pytest.mark.parametrize("relay", ["starttls", "ssl"], indirect=True)
def test_a_relay_whose_certificate_is_not_trusted_receives_nothing(relay):
    mode, server = relay
    with pytest.raises(EmailError, match="CERTIFICATE_VERIFY_FAILED"):
        _resource(mode, server, ca_file=None).send(_message())  # the system store does not know it
    assert server.logins == [] and server.received == []


@pytest.mark.parametrize("relay", ["plain"], indirect=True)
def test_a_message_arrives_with_a_date_header_in_central_time(relay):
    mode, server = relay
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    _resource(mode, server).send(_message())  # composed without a Date
    [(_, _, content)] = server.received
    received = message_from_bytes(content, policy=policy.default)
    sent_at = parsedate_to_datetime(received["Date"])
    # The agency's time with its offset, whatever time zone the host runs in.
    assert sent_at.utcoffset() == dt.datetime.now(ZoneInfo("America/Chicago")).utcoffset()
    assert before <= sent_at <= dt.datetime.now(dt.UTC)
    assert not received["Date"].endswith("-0000")  # RFC 5322's "offset unknown"


def test_a_relay_that_does_not_answer_data_in_time_may_have_the_message(tmp_path):
    with HoldingRelay(tmp_path / "mail") as relay:
        mailer = build_mailer(EmailConfig(host="127.0.0.1", port=relay.port, security="plain", timeout_s=1,
                                          sender="dps-exchange@example.invalid", recipients=["a@example.invalid"],
                                          operators=["ops@example.invalid"]))
        told = []
        with pytest.raises(EmailError, match=r"sending failed while the relay took the message, which it may "
                                             r"have accepted: (TimeoutError|SMTPServerDisconnected)"):
            mailer.send(_message(), before_handover=lambda: told.append(1))
        assert told == [1] and len(read_mailbox(relay.mailbox)) == 1
