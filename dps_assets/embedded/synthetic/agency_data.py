"""IMPACT's tables as the warehouse holds them: children in conservatorship, their CVS episodes
and runaway events, and the county lookup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from dps_assets.embedded.synthetic.children import assign_person_ids, person_frame
from dps_assets.embedded.synthetic.counties import county_lookup_frame
from dps_assets.embedded.synthetic.episodes import cvs_episode_frame, simulate_episodes
from dps_assets.embedded.synthetic.fiscal_calendar import day_number, fiscal_year_bounds, fiscal_year_of
from dps_assets.embedded.synthetic.random_draws import seeded_rng
from dps_assets.embedded.synthetic.runaway_events import runaway_event_frame, simulate_runaway_events


@dataclass(frozen=True)
class AgencyData:
    """IMPACT's tables as DataFrames (lower-case column names, dates as datetime64[ns])."""

    person: pd.DataFrame
    cvs_episode: pd.DataFrame
    runaway_event: pd.DataFrame
    cnty_reg_tableau: pd.DataFrame
    seed: int
    first_fiscal_year: int
    last_day: date
    scale: float

    @property
    def fiscal_years(self) -> list[int]:
        return list(range(self.first_fiscal_year, fiscal_year_of(self.last_day) + 1))


def generate_agency_data(
    seed: int = 2025,
    first_fiscal_year: int = 2024,
    last_day: date | None = None,
    scale: float = 1.0,
) -> AgencyData:
    """Children in conservatorship, their CVS episodes and runaway events, and the county lookup,
    for fiscal years `first_fiscal_year` through the one containing `last_day` (no date after
    `last_day` except a few deliberately wrong dates of birth)."""
    last_day = last_day or date.today()
    if scale <= 0:
        raise ValueError("scale must be positive")
    first_day = fiscal_year_bounds(first_fiscal_year)[0]
    if last_day < first_day:
        raise ValueError(f"last_day {last_day} is before fiscal year {first_fiscal_year} starts")
    rng = seeded_rng(seed, 1)
    d0, dl = day_number(first_day), day_number(last_day)

    episodes, truth = simulate_episodes(rng, d0, dl, scale)
    truth["person_id"] = assign_person_ids(rng, truth["first_start"])
    events = simulate_runaway_events(rng, episodes, truth, first_fiscal_year, last_day, scale)
    person = person_frame(rng, truth, dl)
    cvs_episode = cvs_episode_frame(rng, episodes, truth, dl)
    runaway_event = runaway_event_frame(rng, events, episodes, truth)
    return AgencyData(
        person=person,
        cvs_episode=cvs_episode,
        runaway_event=runaway_event,
        cnty_reg_tableau=county_lookup_frame(),
        seed=int(seed),
        first_fiscal_year=int(first_fiscal_year),
        last_day=last_day,
        scale=float(scale),
    )
