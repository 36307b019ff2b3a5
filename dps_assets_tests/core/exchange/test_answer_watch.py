"""The SFTP sensor's decision, as a pure function of listing, cursor and ledger; and the reason
each poll that hands nothing over gives, in words."""

from datetime import UTC, datetime

from dps_assets.core.exchange.answer_watch import FileState, HandedOverRun, WatchCursor, choose_quarter, decide
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.exchange.submissions import Submission

WANTED = ("Dfps-missing-person-results.txt", "Dfps-missing-person-counts.txt")
Q3, Q4 = FiscalQuarter(2025, 3), FiscalQuarter(2025, 4)


def files(results=(100, 5000), counts=(50, 5000)):
    return [FileState(WANTED[0], *results), FileState(WANTED[1], *counts), FileState("other.txt", 1, 1)]


SUBMITTED = (Submission(Q3, 4000.5, "s", 9),)


def poll(listing, cursor=None, submissions=SUBMITTED, answered=None, run_for=lambda _: None):
    return decide(listing, WatchCursor.from_json(cursor), WANTED, submissions, answered or {}, run_for)


def test_one_file_only_waits_and_names_it():
    decision = poll(files()[:1])
    assert decision.handover is None
    assert decision.skip_reason == ("waiting for Dfps-missing-person-counts.txt; Dfps-missing-person-results.txt "
                                    "(100 bytes, written Dec 31, 1969 7:23 PM CST) has arrived")


def test_no_file_yet_says_so():
    assert poll([FileState("other.txt", 1, 1)]).skip_reason == (
        "waiting for DPS's answer: neither Dfps-missing-person-results.txt nor Dfps-missing-person-counts.txt "
        "is in DPS's folder yet")


WRITTEN = int(datetime(2026, 12, 6, 15, 14, tzinfo=UTC).timestamp())  # 9:14 AM in Texas


def test_the_first_sight_says_stable_for_one_poll_of_two_with_sizes_and_times_in_central_time():
    first = poll(files(results=(1993, WRITTEN), counts=(111, WRITTEN)))
    assert first.skip_reason == (
        "DPS's answer has arrived: Dfps-missing-person-results.txt (1,993 bytes, written Dec 6, 2026 9:14 AM CST) "
        "and Dfps-missing-person-counts.txt (111 bytes, written Dec 6, 2026 9:14 AM CST). Stable for one poll "
        "of two: handed over at the next poll if neither file changes (waiting one more poll to be sure they "
        "are complete)")
    grown = poll(files(results=(2000, WRITTEN + 60), counts=(111, WRITTEN)), first.cursor.to_json())
    assert grown.skip_reason.startswith("DPS's answer has changed since the last poll: "
                                        "Dfps-missing-person-results.txt (2,000 bytes, written Dec 6, 2026 9:15 AM")


def test_files_already_handed_over_name_the_run_they_went_to():
    asked = []

    def run_for(fingerprint):
        asked.append(fingerprint)
        return HandedOverRun("0123abcd-4567-89ef", "FY2025-Q3", "SUCCESS")

    handed = poll(files(), poll(files()).cursor.to_json())
    again = poll(files(), handed.cursor.to_json(), run_for=run_for)
    assert asked == [handed.handover.fingerprint]
    assert again.skip_reason.endswith(" were already handed over as run 0123abcd for FY2025-Q3 (success); "
                                      "waiting for DPS's next answer")
    # A run this instance no longer holds: its run key still guards against a second one.
    assert poll(files(), handed.cursor.to_json()).skip_reason.endswith(
        " were already handed to a run; waiting for DPS's next answer")


def test_two_identical_polls_are_needed():
    first = poll(files())
    assert first.handover is None and "one more poll" in first.skip_reason
    second = poll(files(), first.cursor.to_json())
    assert second.handover is not None and second.handover.quarter == Q3
    assert second.cursor.pending is None


def test_a_growing_file_restarts_the_wait():
    first = poll(files(results=(100, 5000)))
    second = poll(files(results=(180, 5001)), first.cursor.to_json())
    assert second.handover is None and "one more poll" in second.skip_reason
    third = poll(files(results=(180, 5001)), second.cursor.to_json())
    assert third.handover is not None


def test_files_older_than_the_submission_are_not_handed_over():
    stale = files(results=(100, 3000), counts=(50, 3000))
    first = poll(stale)
    second = poll(stale, first.cursor.to_json())
    assert second.handover is None and "older than every submission" in second.skip_reason


def test_same_second_as_the_submission_counts_as_newer():
    # SFTP mtimes are whole seconds; the submission at 4000.5 was made in second 4000.
    same = files(results=(100, 4000), counts=(50, 4000))
    assert poll(same, poll(same).cursor.to_json()).handover is not None


def test_one_run_per_pair_across_restarts():
    first = poll(files())
    second = poll(files(), first.cursor.to_json())
    # The cursor is all a restarted sensor has: it must not hand the same files over again.
    restarted = poll(files(), second.cursor.to_json(), answered={Q3: 6000})
    assert restarted.handover is None and "already handed" in restarted.skip_reason


def test_redelivery_of_new_files_for_the_same_quarter():
    first = poll(files())
    second = poll(files(), first.cursor.to_json())
    new = files(results=(120, 7000), counts=(50, 7000))
    third = poll(new, second.cursor.to_json(), answered={Q3: 6000})
    fourth = poll(new, third.cursor.to_json(), answered={Q3: 6000})
    assert fourth.handover is not None and fourth.handover.quarter == Q3
    assert fourth.handover.run_key != second.handover.run_key


def test_the_oldest_waiting_quarter_whose_submission_precedes_the_files():
    submissions = [Submission(Q3, 1000, "a", 1), Submission(Q4, 2000, "b", 1)]
    assert choose_quarter(5000, submissions, {}) == Q3
    assert choose_quarter(1500, submissions, {}) == Q3
    assert choose_quarter(5000, submissions, {Q3: 1200}) == Q4
    assert choose_quarter(500, submissions, {}) is None
    # Both answered: a re-delivery belongs to the latest submission before the files.
    assert choose_quarter(5000, submissions, {Q3: 1200, Q4: 2500}) == Q4
    assert choose_quarter(1500, submissions, {Q3: 1200, Q4: 2500}) == Q3


def test_cursor_round_trip():
    cursor = WatchCursor(tuple(files()[:2]), ("abc",))
    assert WatchCursor.from_json(cursor.to_json()) == cursor
    assert WatchCursor.from_json(None) == WatchCursor()
