"""The history kept by quarter: a quarter's record replaces the one it had (never a second copy),
the file round-trips, and a file this pipeline did not write is refused with where and what."""

from __future__ import annotations

import json

import pytest

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.history.figures import Figure
from dps_assets.core.history.store import (
    FROM_ARCHIVE,
    FROM_DELIVERY,
    HistoryFileError,
    QuarterRecord,
    history_json,
    is_current,
    merge,
    parse_history,
)

Q1, Q2, Q3 = FiscalQuarter(2026, 1), FiscalQuarter(2026, 2), FiscalQuarter(2026, 3)


def record(quarter: FiscalQuarter, events: int, source: str = "reports/x/1") -> QuarterRecord:
    return QuarterRecord(quarter, source, FROM_DELIVERY, "2026-06-05T03:00:00+00:00",
                         (Figure("DPS_RUNAWAY_EVENTS", "QUARTER", "STATEWIDE", events),
                          Figure("DPS_RUNAWAY_EVENTS", "QUARTER", "7", events - 1)))


def test_a_quarter_merged_again_replaces_its_record():
    history = merge({}, [record(Q2, 10), record(Q1, 5)])
    assert list(history) == [Q1, Q2]  # oldest first
    again = merge(history, [record(Q2, 12, source="reports/x/2")])
    assert list(again) == [Q1, Q2] and again[Q2].figures[0].value == 12 and again[Q1] == history[Q1]
    # Two records of one quarter in one merge: the later wins, once.
    assert merge({}, [record(Q3, 1), record(Q3, 2)])[Q3].figures[0].value == 2
    assert is_current(again[Q2], "reports/x/2") and not is_current(again[Q2], "reports/x/1")
    assert not is_current(None, "reports/x/2")


def test_the_file_round_trips():
    history = merge({}, [record(Q1, 5), QuarterRecord(Q3, "reports/FY2026_Q3/r", FROM_ARCHIVE, None, ())])
    assert parse_history(history_json(history), "h.json") == history


def entry(**fields: object) -> bytes:
    """A history file of one quarter's entry: a valid one, but for `fields`."""
    valid = {"fiscal_quarter": "FY2026-Q1", "source": "s", "filled_from": "delivery", "format": 1, "figures": [],
             "delivered_at": None}
    return json.dumps({"quarters": [valid | fields]}).encode()


@pytest.mark.parametrize(("data", "message"), [
    (b"{not json", r"h\.json: not JSON \(JSONDecodeError at character 1\)"),
    (b"[]", r"h\.json: no list 'quarters'"),
    (b'{"quarters": [{"fiscal_quarter": "FY2026-Q5"}]}', r"quarters\[0\]: field 'source' is missing"),
    (entry(fiscal_quarter="2026"), r"quarters\[0\]: field 'fiscal_quarter' is not a quarter"),
    (entry(format=True), r"quarters\[0\]: field 'format' is missing or of the wrong type"),
    (entry(figures=[["DPS_RUNAWAY_EVENTS", "QUARTER", "7", -1]]),
     r"quarters\[0\]\.figures\[0\]: unknown measure or period, or a negative count"),
    (entry(figures=[["DPS_RUNAWAY_EVENTS", "QUARTER", "7"]]), r"quarters\[0\]\.figures\[0\]: not \[measure"),
])
def test_a_file_not_ours_is_refused_by_where_and_what(data, message):
    with pytest.raises(HistoryFileError, match=message):
        parse_history(data, "h.json")


def test_a_quarter_listed_twice_is_refused():
    text = json.loads(history_json({Q1: record(Q1, 5)}))
    text["quarters"] *= 2
    with pytest.raises(HistoryFileError, match=r"quarters\[1\]: FY2026-Q1 is listed twice"):
        parse_history(json.dumps(text).encode(), "h.json")
