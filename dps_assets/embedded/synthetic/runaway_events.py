"""Runaway events: drawn per fiscal year among children aged 10-17 in care, weighted by each
child's propensity to run, never overlapping the child's previous event; and their table."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from dps_assets.embedded.synthetic.counties import COUNTY_NAMES, COUNTY_WEIGHTS, county_spellings
from dps_assets.embedded.synthetic.fiscal_calendar import (
    AGE_10,
    AGE_12,
    AGE_18,
    day_number,
    fiscal_year_bounds,
    fiscal_year_of,
    to_dates,
)
from dps_assets.embedded.synthetic.random_draws import probabilities

RUNAWAY_EVENTS_PER_FISCAL_YEAR = 3_000  # at scale 1.0

_LIVING_ARRANGEMENTS = (
    ("Basic Foster Family Home", 0.22), ("Foster Home", 0.10), ("Kinship", 0.12),
    ("Kinship - Relative", 0.05), ("GRO - Emergency Shelter", 0.14), ("RTC", 0.08),
    ("GRO - Residential Treatment Center", 0.07), ("Foster Group Home", 0.05),
    ("Child Without Placement", 0.06), ("Supervised Independent Living", 0.03),
    ("Own Home", 0.04), ("Juvenile Detention", 0.04),
)


def simulate_runaway_events(
    rng: np.random.Generator,
    episodes: dict[str, np.ndarray],
    truth: dict[str, np.ndarray],
    first_fiscal_year: int,
    last_day: date,
    scale: float,
) -> dict[str, np.ndarray]:
    """Runaway events (person index, episode index, runaway/return day) per fiscal year."""
    dl = day_number(last_day)
    p, start = episodes["person"], episodes["start"]
    end = np.minimum(episodes["end"], dl)
    dob = truth["dob"][p]
    weight = truth["propensity"][p]
    rows_p, rows_ep, rows_day, rows_fy, targets = [], [], [], [], {}
    for fy in range(first_fiscal_year, fiscal_year_of(last_day) + 1):
        fs, fe = (day_number(d) for d in fiscal_year_bounds(fy))
        fe_eff = min(fe, dl)
        covered = (fe_eff - fs + 1) / (fe - fs + 1)
        target = max(1, round(RUNAWAY_EVENTS_PER_FISCAL_YEAR * scale * covered))
        targets[fy] = target
        for low_age, high_age, share in ((AGE_12, AGE_18, 0.97), (AGE_10, AGE_12, 0.03)):
            lo = np.maximum.reduce([start, np.full_like(start, fs), dob + low_age])
            hi = np.minimum.reduce([end, np.full_like(end, fe_eff), dob + high_age - 1])
            length = np.maximum(hi - lo + 1, 0)
            w = length * weight
            if w.sum() == 0:
                continue
            k = max(1, round(target * share * 1.25))  # oversample; overlaps are dropped below
            idx = rng.choice(len(w), size=k, p=w / w.sum())
            day = lo[idx] + np.floor(rng.random(k) * length[idx]).astype("int64")
            rows_p.append(p[idx])
            rows_ep.append(idx)
            rows_day.append(day)
            rows_fy.append(np.full(k, fy))
    person, episode = np.concatenate(rows_p), np.concatenate(rows_ep)
    run_day, fiscal = np.concatenate(rows_day), np.concatenate(rows_fy)

    duration = np.clip(1 + np.floor(rng.lognormal(np.log(4), 1.1, len(run_day))), 1, 60)
    ret_day = run_day + duration.astype("int64")
    recency = np.exp(-(dl - run_day) / 120.0)
    still_missing = (ret_day > dl) | (rng.random(len(run_day)) < 0.05 + 0.20 * recency)

    # One child cannot run again before coming back: drop events that overlap the previous one.
    order = np.lexsort((run_day, person))
    person, episode, run_day, fiscal = person[order], episode[order], run_day[order], fiscal[order]
    ret_day, still_missing = ret_day[order], still_missing[order]
    keep = np.ones(len(person), bool)
    while True:
        idx = np.flatnonzero(keep)
        busy_until = np.where(still_missing[idx], np.iinfo("int64").max // 2, ret_day[idx])
        clash = (person[idx][1:] == person[idx][:-1]) & (run_day[idx][1:] <= busy_until[:-1] + 1)
        if not clash.any():
            break
        # drop the first clashing event of each run of clashes, then look again
        first = idx[1:][clash & ~np.concatenate(([False], clash[:-1]))]
        keep[first] = False
    # Trim each fiscal year to its target count.
    for fy, target in targets.items():
        idx = np.flatnonzero(keep & (fiscal == fy))
        if len(idx) > target:
            keep[rng.choice(idx, size=len(idx) - target, replace=False)] = False
    sel = np.flatnonzero(keep)
    return {
        "person": person[sel],
        "episode": episode[sel],
        "run_day": run_day[sel],
        "ret_day": ret_day[sel],
        "still_missing": still_missing[sel],
    }


def runaway_event_frame(
    rng: np.random.Generator,
    events: dict[str, np.ndarray],
    episodes: dict[str, np.ndarray],
    truth: dict[str, np.ndarray],
) -> pd.DataFrame:
    n = len(events["person"])
    # Usually the county of the child's current episode; sometimes elsewhere.
    county = episodes["county"][events["episode"]].copy()
    elsewhere = rng.random(n) < 0.08
    county[elsewhere] = rng.choice(len(COUNTY_NAMES), int(elsewhere.sum()), p=COUNTY_WEIGHTS)
    arrangements = np.array([a for a, _ in _LIVING_ARRANGEMENTS], dtype=object)
    weights = probabilities([w for _, w in _LIVING_ARRANGEMENTS])
    order = np.lexsort((events["person"], events["run_day"]))
    ids = 40_000_000 + np.cumsum(rng.integers(1, 25, n))
    return pd.DataFrame(
        {
            "runaway_event_id": ids,
            "person_id": truth["person_id"][events["person"][order]],
            "cnty_name": county_spellings(rng, county[order], 0.01),
            "runaway_date": to_dates(events["run_day"][order]),
            "return_date": to_dates(events["ret_day"][order], events["still_missing"][order]),
            "living_arrangement": arrangements[rng.choice(len(arrangements), n, p=weights)],
        }
    )
