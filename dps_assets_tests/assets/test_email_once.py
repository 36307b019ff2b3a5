"""Exactly one email under relay faults: a relay that accepts the message (250 after DATA) and
then fails QUIT with 421 has the message; the run records it and a re-run does not send again. A
relay that takes the message and keeps its answer past the mailer's timeout may have it: the
ledger holds only the intent, and the next run sends nothing until the operator says whether the
message arrived (email_arrived) or not (force_email). A run killed there: test_email_once_killed.py."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import pytest
from dagster import AssetKey

from dps_assets.embedded.smtp_server import read_mailbox, start_smtp_server
from dps_assets_tests.assets.test_receiving_half import Q4, Scenario
from dps_assets_tests.conftest import loopback_mailer
from dps_assets_tests.support.holding_relay import HoldingRelay
from dps_assets_tests.support.privacy import files_under


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


# --- a run that ends while the relay may have the message (issue 17 §2) ---------------------

FORCE_EMAIL = {"ops": {"dps_report_delivery": {"config": {"force_email": True}}}}
DPS_FILES = ("Dfps-missing-person-results.txt", "Dfps-missing-person-counts.txt")


def email_records(instance) -> list[dict]:
    """Metadata of every observation of dps_report_delivery, oldest first."""
    records = instance.fetch_observations(AssetKey("dps_report_delivery"), limit=100, ascending=True).records
    return [{k: v.value for k, v in r.asset_observation.metadata.items()} for r in records]


def step_failure(result) -> str:
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    return failure.event_specific_data.error.cause.message


@pytest.fixture
def holding_relay(tmp_path):
    with HoldingRelay(tmp_path / "held-mail") as relay:
        yield relay


def test_the_intent_is_in_the_ledger_before_the_relay_has_the_message_and_the_confirmation_after(
        receiving_resources, dagster_instance, openssh_server, holding_relay):
    scenario = Scenario({**receiving_resources, "mailer": loopback_mailer(holding_relay.port)}, dagster_instance,
                        openssh_server)
    scenario.put(*scenario.good_files())
    with ThreadPoolExecutor(1) as worker:
        receiving = worker.submit(scenario.receive)
        holding_relay.wait_for_message(timeout_s=300)
        [held] = read_mailbox(holding_relay.mailbox)
        # While the relay holds its answer: the intent, naming the message the relay holds.
        [intent] = email_records(dagster_instance)
        assert intent.keys() == {"fiscal_quarter", "message_id", "recipients", "email_intent_at"}
        assert (intent["fiscal_quarter"], intent["message_id"], intent["recipients"]) == (
            Q4.label, held["Message-ID"], 1)
        assert held["Message-ID"].endswith("@test.invalid>")  # ours: the sender's domain, no data
        holding_relay.release()
        assert receiving.result().success
    [_, confirmation] = email_records(dagster_instance)
    assert (confirmation["message_id"], confirmation["confirmed_by"]) == (held["Message-ID"], "relay")
    assert confirmation["emailed_at"] >= intent["email_intent_at"]


@pytest.fixture
def unconfirmed(receiving_resources, dagster_instance, openssh_server, holding_relay, tmp_path):
    """A quarter whose delivery handed the email to a relay that kept its answer past the mailer's
    timeout: the relay has the message, the ledger only its intent."""
    scenario = Scenario({**receiving_resources, "mailer": loopback_mailer(holding_relay.port, timeout_s=2)},
                        dagster_instance, openssh_server)
    scenario.put(*scenario.good_files())
    failed = scenario.receive(raise_on_error=False)
    assert "sending failed while the relay took the message, which it may have accepted" in step_failure(failed)
    [held] = read_mailbox(holding_relay.mailbox)
    assert [r["message_id"] for r in email_records(dagster_instance)] == [held["Message-ID"]]
    return scenario, held["Message-ID"]


def test_a_run_finding_an_email_unconfirmed_sends_nothing_moves_nothing_and_says_what_to_do(
        unconfirmed, holding_relay, tmp_path):
    scenario, message_id = unconfirmed
    kept = files_under(tmp_path / "work")
    refused = scenario.receive(raise_on_error=False)
    assert not refused.success
    assert f"Look for Message-ID {message_id} in a recipient's mailbox" in step_failure(refused)
    assert len(read_mailbox(holding_relay.mailbox)) == 1 and len(email_records(scenario.instance)) == 1
    # Nothing after the email happened: DPS's files stay on the server, no working copy went.
    assert all((scenario.server.to_dfps_folder / name).exists() for name in DPS_FILES)
    assert not (tmp_path / "archive" / "from_dps").exists()
    assert kept and all(p.exists() for p in kept)
    log = next((tmp_path / "logs" / "from_dps").iterdir()).read_text()
    assert f"dps_report_delivery: failed: EmailNotConfirmedError: {Q4.label} may have been emailed" in log

    # The operator found it in the mailbox: recorded as emailed, delivered, not sent again.
    arrived = scenario.receive({"ops": {"dps_report_delivery": {"config": {"email_arrived": message_id}}}})
    assert arrived.success and len(read_mailbox(holding_relay.mailbox)) == 1
    confirmation = email_records(scenario.instance)[-1]
    assert (confirmation["message_id"], confirmation["confirmed_by"]) == (message_id, "operator")
    assert not any((scenario.server.to_dfps_folder / name).exists() for name in DPS_FILES)
    assert len(list((scenario.server.to_dfps_folder / "processed").iterdir())) == 2
    [delivery] = [e.materialization.metadata for e in arrived.get_asset_materialization_events()
                  if e.asset_key == AssetKey("dps_report_delivery")]
    assert delivery["working_copies_removed"].value > 0
    assert scenario.receive().success and len(read_mailbox(holding_relay.mailbox)) == 1


def test_force_email_sends_an_unconfirmed_email_again_once_under_a_new_message_id(unconfirmed, holding_relay):
    scenario, message_id = unconfirmed
    holding_relay.release()
    forced = scenario.receive(FORCE_EMAIL)
    assert forced.success
    [_, again] = read_mailbox(holding_relay.mailbox)
    assert again["Message-ID"] != message_id
    assert [(r["message_id"], "emailed_at" in r) for r in email_records(scenario.instance)] == [
        (message_id, False), (again["Message-ID"], False), (again["Message-ID"], True)]
    assert scenario.receive().success and len(read_mailbox(holding_relay.mailbox)) == 2
