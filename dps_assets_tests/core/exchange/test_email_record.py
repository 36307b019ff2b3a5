"""Email once across a run that dies mid-send: what a run does given the quarter's latest email
record (an intent, or a confirmation) and its run config, and the sentence it stops with."""

import re

import pytest

from dps_assets.core.exchange.email_record import (
    EmailAction,
    EmailArrivedError,
    EmailNotConfirmedError,
    EmailRecord,
    email_action,
)
from dps_assets.core.operations.alerts import what_to_do

Q4 = "FY2026-Q4"
SENT = "<177000000000.4242.1234567890123456789@dfps.texas.gov>"
RUN = "0123abcd-0000-4000-8000-000000000000"
INTENT = EmailRecord(SENT, 1_790_000_000.0, confirmed=False, run_id=RUN)
CONFIRMED = EmailRecord(SENT, 1_790_000_004.0, confirmed=True, run_id=RUN)


def test_a_quarter_never_emailed_is_sent_and_one_emailed_is_not_unless_forced():
    assert email_action(Q4, None, force_email=False, email_arrived=None) is EmailAction.SEND
    assert email_action(Q4, CONFIRMED, force_email=False, email_arrived=None) is EmailAction.ALREADY_EMAILED
    assert email_action(Q4, CONFIRMED, force_email=True, email_arrived=None) is EmailAction.SEND


def test_an_intent_without_its_confirmation_stops_the_run_saying_what_to_look_for_and_how_to_go_on():
    with pytest.raises(EmailNotConfirmedError) as stopped:
        email_action(Q4, INTENT, force_email=False, email_arrived=None)
    sentence = str(stopped.value)
    assert sentence.startswith("FY2026-Q4 may have been emailed: run 0123abcd handed the reports to the relay at "
                               "Sep 21, 2026 9:13 AM CDT and ended before its answer was recorded. Nothing was sent.")
    assert f"Look for Message-ID {SENT} in a recipient's mailbox" in sentence
    assert sentence.endswith("re-run with email_arrived set to it, else with force_email: true.")
    assert len(sentence.splitlines()) == 1 and len(sentence) < 400  # one line, never cut by the cap
    assert "force_email: true" in what_to_do([f"Step dps_report_delivery: EmailNotConfirmedError: {sentence}"])


def test_the_operator_says_which_it_was():
    assert email_action(Q4, INTENT, force_email=True, email_arrived=None) is EmailAction.SEND  # it did not arrive
    assert email_action(Q4, INTENT, force_email=False, email_arrived=f" {SENT} ") is EmailAction.ARRIVED
    # The same run config again, once that was recorded, changes nothing.
    assert email_action(Q4, CONFIRMED, force_email=False, email_arrived=SENT) is EmailAction.ALREADY_EMAILED


@pytest.mark.parametrize("latest, arrived, says", [
    (INTENT, "<another@dfps.texas.gov>", f"email_arrived names <another@dfps.texas.gov>, but the email awaiting "
                                         f"confirmation is {SENT}. Nothing was sent."),
    (CONFIRMED, "<another@dfps.texas.gov>", "but no email of it awaits confirmation"),
    (None, SENT, "but no email of it awaits confirmation"),
])
def test_email_arrived_must_name_the_email_awaiting_confirmation(latest, arrived, says):
    with pytest.raises(EmailArrivedError, match=re.escape(says)):
        email_action(Q4, latest, force_email=False, email_arrived=arrived)


def test_force_email_and_email_arrived_together_are_refused():
    with pytest.raises(EmailArrivedError, match="force_email and email_arrived are both set"):
        email_action(Q4, INTENT, force_email=True, email_arrived=SENT)
