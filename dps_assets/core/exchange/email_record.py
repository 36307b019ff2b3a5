"""A quarter is emailed once (spec §8), even when the run sending it dies mid-send.

Right before the reports are handed to the relay (SMTP's DATA) the run records an intent naming
the message's Message-ID; once the relay has answered 250, a confirmation with the same
Message-ID. Both happen inside the email lock, so the latest of these records says where the
quarter stands: confirmed, emailed; an intent alone, a run ended (killed, or the relay never
answered) after the relay may have taken the message. Only the operator can tell, from the
recipients' mailbox, so a run then sends nothing until told which: the message arrived
(`email_arrived`: its Message-ID), or it did not (`force_email`: send again)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from dps_assets.core.exchange.agency_time import us_epoch_time
from dps_assets.core.privacy.errors import ExchangeError


@dataclass(frozen=True)
class EmailRecord:
    """A quarter's latest email record: an intent (`confirmed` false) or a confirmation, made
    by `run_id` at `at` (seconds since the epoch)."""

    message_id: str
    at: float
    confirmed: bool
    run_id: str


class EmailAction(Enum):
    SEND = "send"
    ALREADY_EMAILED = "already emailed"
    ARRIVED = "arrived"  # the operator found the unconfirmed message in the mailbox


class EmailNotConfirmedError(ExchangeError, RuntimeError):
    """The reports may have been emailed by a run that ended before the relay's answer was
    recorded; nothing is sent until the operator says whether the message arrived."""


class EmailArrivedError(ExchangeError, ValueError):
    """`email_arrived` does not name the email that awaits confirmation."""


def email_action(quarter_label: str, latest: EmailRecord | None, force_email: bool,
                 email_arrived: str | None) -> EmailAction:
    """What a run of the quarter does about the email, given the quarter's `latest` record and the
    run config's `force_email` and `email_arrived`; raises when it may not go on."""
    arrived = (email_arrived or "").strip() or None
    if arrived and force_email:
        raise EmailArrivedError(f"{quarter_label}: force_email and email_arrived are both set; set "
                                "force_email to send the reports again, or email_arrived to record "
                                "that the earlier email arrived, not both. Nothing was sent.")
    if arrived:
        if latest is not None and latest.message_id == arrived:
            return EmailAction.ALREADY_EMAILED if latest.confirmed else EmailAction.ARRIVED
        awaiting = (f"the email awaiting confirmation is {latest.message_id}"
                    if latest is not None and not latest.confirmed else "no email of it awaits confirmation")
        raise EmailArrivedError(f"{quarter_label}: email_arrived names {arrived}, but {awaiting}. "
                                "Nothing was sent.")
    if force_email or latest is None:
        return EmailAction.SEND
    if not latest.confirmed:
        raise not_confirmed(quarter_label, latest)
    return EmailAction.ALREADY_EMAILED


def not_confirmed(quarter_label: str, intent: EmailRecord) -> EmailNotConfirmedError:
    """The sentence the run fails with, the run log keeps and the operators' alert carries."""
    at = us_epoch_time(intent.at)  # what the operator compares with the mailbox's times
    return EmailNotConfirmedError(
        f"{quarter_label} may have been emailed: run {intent.run_id[:8]} handed the reports to the relay "
        f"at {at} and ended before its answer was recorded. Nothing was sent. Look for Message-ID "
        f"{intent.message_id} in a recipient's mailbox; if it arrived, re-run with email_arrived set to "
        "it, else with force_email: true.")
