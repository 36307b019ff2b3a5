"""A quarter's figures counted from its report frames (made by the project's report functions
from synthetic inputs), checked against counts taken from the inputs directly."""

from __future__ import annotations

import pandas as pd
import pytest

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.history.figures import (
    FISCAL_YEAR_TO_DATE,
    QUARTER,
    Figure,
    FiguresError,
    ImpactEvents,
    QuarterReports,
    quarter_figures,
    statewide,
)
from dps_assets_tests.support.synthetic_reports import report_frames, report_inputs

Q3 = FiscalQuarter(2026, 3)


@pytest.fixture(scope="module")
def inputs():
    return report_inputs(200, 90, seed=5, quarter=Q3)


@pytest.fixture(scope="module")
def frames():
    return report_frames(200, 90, seed=5, quarter=Q3)


def figures_of(frames, events=None, children=None) -> list[Figure]:
    return quarter_figures(QuarterReports(Q3, frames.totals, frames.impact_not_in_dps, frames.dps_not_in_impact,
                                          events, children))


def test_dps_runaway_events_are_the_quarters_column_and_the_fiscal_year_to_date(inputs, frames):
    figures = figures_of(frames)
    entries = inputs.matches.entries_in_window
    events = entries.drop_duplicates(["DFPS_PERSON_ID", "MISSING_DATE"])
    in_quarter = events["MISSING_DATE"].between(pd.Timestamp(Q3.start), pd.Timestamp(Q3.end))
    assert statewide(figures, "DPS_RUNAWAY_EVENTS", QUARTER) == int(in_quarter.sum())
    assert statewide(figures, "DPS_RUNAWAY_EVENTS", FISCAL_YEAR_TO_DATE) == len(events)
    # Every region of the totals report is there, and the regions add up to STATEWIDE.
    by_region = [f for f in figures if f.measure == "DPS_RUNAWAY_EVENTS" and f.period == QUARTER]
    assert [f.region for f in by_region] == [*map(str, range(1, 12)), "UNKNOWN", "STATEWIDE"]
    assert sum(f.value for f in by_region[:-1]) == by_region[-1].value


def test_the_lists_are_counted_by_region_for_the_quarter_and_the_year(frames):
    figures = figures_of(frames)
    for measure, frame in (("IMPACT_EVENTS_NOT_IN_DPS", frames.impact_not_in_dps),
                           ("DPS_ENTRIES_NOT_IN_IMPACT", frames.dps_not_in_impact)):
        assert statewide(figures, measure, FISCAL_YEAR_TO_DATE) == len(frame)
        assert statewide(figures, measure, QUARTER) == int((frame["FISCAL_QUARTER"] == Q3.label).sum())
        seven = next(f.value for f in figures if (f.measure, f.period, f.region) == (measure, FISCAL_YEAR_TO_DATE, "7"))
        assert seven == int((frame["REGION"] == 7).sum())
    # A region a list has no row for counts zero (not missing).
    regions = {f.region for f in figures if f.measure == "DPS_ENTRIES_NOT_IN_IMPACT"}
    assert regions == {f.region for f in figures if f.measure == "DPS_RUNAWAY_EVENTS"}


def test_impact_events_give_those_dps_has_and_children_sent_are_kept(frames):
    not_in_dps = len(frames.impact_not_in_dps)
    figures = figures_of(frames, ImpactEvents(in_window=not_in_dps + 40, in_quarter=None), children=1234)
    assert statewide(figures, "IMPACT_RUNAWAY_EVENTS", FISCAL_YEAR_TO_DATE) == not_in_dps + 40
    assert statewide(figures, "IMPACT_EVENTS_REPORTED_TO_DPS", FISCAL_YEAR_TO_DATE) == 40
    assert statewide(figures, "IMPACT_RUNAWAY_EVENTS", QUARTER) is None  # not recorded: not made up
    assert statewide(figures, "CHILDREN_SENT", FISCAL_YEAR_TO_DATE) == 1234
    # Fewer events than the report lists as not in DPS: that count is not these reports'.
    assert statewide(figures_of(frames, ImpactEvents(3, 3)), "IMPACT_RUNAWAY_EVENTS", FISCAL_YEAR_TO_DATE) is None


def test_totals_read_back_from_a_workbook_count_the_same(frames):
    # As a workbook gives them back: regions as numbers (7.0 too), a blank row, STATEWIDE below.
    totals = frames.totals.astype("object")
    totals.loc[0, "REGION"] = 1.0
    blank = pd.DataFrame([[""] + [None] * (len(totals.columns) - 1)], columns=totals.columns)
    read_back = pd.concat([totals.iloc[:-1], blank, totals.iloc[-1:]], ignore_index=True)
    assert figures_of(frames) == quarter_figures(QuarterReports(Q3, read_back, frames.impact_not_in_dps,
                                                                frames.dps_not_in_impact))


def test_a_report_of_the_wrong_shape_is_named(frames):
    with pytest.raises(FiguresError, match="totals by region have no column.*FY2026-Q3"):
        figures_of(type(frames)(frames.impact_not_in_dps, frames.dps_not_in_impact,
                                frames.totals.drop(columns=[Q3.label])))
    with pytest.raises(FiguresError, match="IMPACT not in DPS has no column.*FISCAL_QUARTER"):
        figures_of(type(frames)(frames.impact_not_in_dps.drop(columns=["FISCAL_QUARTER"]), frames.dps_not_in_impact,
                                frames.totals))
