"""Issue 19 §2-3: the About sheet says when a workbook was made in Central time (daylight saving
or not), and gives a wrapped row the lines its text needs."""

from datetime import UTC, date, datetime

import pytest

from dps_assets.core.reconciliation.matching import MATCHING_RULE
from dps_assets.core.workbooks.about import CREATED, created_item, wrapped_lines


@pytest.mark.parametrize(("utc", "central"), [
    (datetime(2026, 6, 3, 20, 4, 5, 999, tzinfo=UTC), datetime(2026, 6, 3, 15, 4, 5)),  # CDT, UTC-5
    (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2026, 1, 1, 21, 4, 5)),  # CST, UTC-6: the day before
])
def test_created_is_central_time_to_the_second(utc, central):
    assert created_item(utc) == (CREATED, central) == ("Created (Central time)", central)


def test_created_needs_a_moment_that_knows_its_zone():
    with pytest.raises(ValueError, match="aware"):
        created_item(datetime(2026, 6, 3, 15, 4, 5))


def test_wrapped_lines_count_what_the_text_needs_in_the_column():
    assert wrapped_lines("Partition", 48) == wrapped_lines(1_993, 100) == wrapped_lines(date(2026, 5, 31), 100) == 1
    assert wrapped_lines(datetime(2026, 6, 3, 15, 4, 5), 100) == 1
    assert wrapped_lines(MATCHING_RULE, 100) == 2  # some 150 characters, many of them capitals
    assert wrapped_lines("one\ntwo\nthree", 100) == 3
    assert wrapped_lines("x" * 400, 100) >= 4
