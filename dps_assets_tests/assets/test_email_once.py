"""Exactly one email under relay faults: a relay that accepts the message (250 after DATA) and
then fails QUIT with 421 has the message; the run records it and a re-run does not send again."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from dps_assets.embedded.smtp_server import read_mailbox, start_smtp_server
from dps_assets_tests.assets.test_receiving_half import Scenario
from dps_assets_tests.conftest import loopback_mailer


@pytest.fixture
def relay_failing_quit(tmp_path):
    mailbox = tmp_path / "mail"
    with start_smtp_server(mailbox, quit_reply="421 4.3.2 Service shutting down") as server:
        yield int(server.fields["port"]), mailbox


def test_a_message_accepted_before_quit_fails_is_sent(relay_failing_quit):
    port, mailbox = relay_failing_quit
    message = EmailMessage()
    message["To"], message["Subject"] = "analysts@test.invalid", "test"
    message.set_content("body")
    loopback_mailer(port).send(message)  # no error: the relay said 250 to DATA
    assert len(read_mailbox(mailbox)) == 1


def test_a_quarter_emailed_through_a_relay_failing_quit_is_recorded_and_not_sent_again(
        relay_failing_quit, receiving_resources, dagster_instance, openssh_server):
    port, mailbox = relay_failing_quit
    resources = {**receiving_resources, "mailer": loopback_mailer(port)}
    scenario = Scenario(resources, dagster_instance, openssh_server)
    scenario.put(*scenario.good_files())
    assert scenario.receive().success
    assert len(read_mailbox(mailbox)) == 1
    again = scenario.receive()
    assert again.success
    assert len(read_mailbox(mailbox)) == 1
