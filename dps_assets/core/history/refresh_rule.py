"""When the history across quarters is refreshed: after each delivery, once, and again if the run
that refreshed it died (a host crash, a killed worker) or failed, up to a few attempts.

State lives in the instance, not in a sensor cursor: each refresh run is tagged with the delivery
(its event's storage id) it was asked for, so a tick sees which deliveries a successful refresh has
counted, which refresh is still in flight, and how many attempts have failed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_ATTEMPTS = 3
DONE = frozenset({"SUCCESS", "FAILURE", "CANCELED"})
FAILED = frozenset({"FAILURE", "CANCELED"})


@dataclass(frozen=True)
class RefreshAttempt:
    """A refresh run asked for the delivery being considered: its id and Dagster's run status."""

    run_id: str
    status: str


@dataclass(frozen=True)
class RefreshDecision:
    run_key: str | None  # a new refresh to ask for, or None: skip, for `reason`
    reason: str


def history_refresh(newest_delivery: int | None, delivered_quarter: str, counted_through: int | None,
                    attempts: Sequence[RefreshAttempt], max_attempts: int = MAX_ATTEMPTS) -> RefreshDecision:
    """`newest_delivery`: the storage id of the newest delivery of any quarter (None: none yet);
    `counted_through`: the newest delivery a successful refresh was asked for; `attempts`: the
    refresh runs asked for `newest_delivery`."""
    if newest_delivery is None:
        return RefreshDecision(None, "no quarter's reports have been delivered yet")
    if counted_through is not None and counted_through >= newest_delivery:
        return RefreshDecision(None, f"the history counts every delivery, the newest {delivered_quarter}'s")
    in_flight = [a for a in attempts if a.status not in DONE]
    if in_flight:
        return RefreshDecision(None, f"refreshing after {delivered_quarter}'s delivery: run {in_flight[0].run_id[:8]} "
                                     f"is {in_flight[0].status.lower()}")
    if any(a.status == "SUCCESS" for a in attempts):
        return RefreshDecision(None, f"the history counts every delivery, the newest {delivered_quarter}'s")
    failed = [a for a in attempts if a.status in FAILED]
    if len(failed) >= max_attempts:
        return RefreshDecision(None, f"the refresh after {delivered_quarter}'s delivery failed {len(failed)} times "
                                     f"(last run {failed[-1].run_id[:8]}; its alert says why): launch "
                                     "refresh_quarterly_history once the cause is fixed")
    again = f", again: run {failed[-1].run_id[:8]} ended {failed[-1].status.lower()}" if failed else ""
    return RefreshDecision(f"history_after_delivery_{newest_delivery}_attempt_{len(failed) + 1}",
                           f"refreshing after {delivered_quarter}'s delivery{again}")
