"""Children's CVS episodes: entries into care simulated from ten years before the first fiscal
year, re-entries, and the `cvs_episode` table with its data-entry ties."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dps_assets.embedded.synthetic.counties import COUNTY_NAMES, COUNTY_WEIGHTS, county_spellings
from dps_assets.embedded.synthetic.fiscal_calendar import AGE_18, YEAR, to_dates
from dps_assets.embedded.synthetic.names import GROUP_SHARES
from dps_assets.embedded.synthetic.random_draws import pick, probabilities

CHILDREN_PER_FISCAL_YEAR = 60_000  # at scale 1.0
_ENTRIES_PER_YEAR_PER_CHILD = 0.368  # episode starts a year per distinct child-in-year (calibrated)
_HISTORY_YEARS = 10  # episodes are simulated from this long before the first fiscal year

# Age at entry into care, 0..17 (many infants).
_ENTRY_AGE_WEIGHTS = np.array(
    [16, 7, 6, 6, 5.5, 5, 5, 4.5, 4.5, 4.5, 4.5, 4.5, 5, 5, 5.5, 5.5, 4.5, 2.5]
)


def simulate_episodes(
    rng: np.random.Generator, d0: int, dl: int, scale: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Episodes (arrays person index, start, end, county index; an end after `dl` means still
    open) and per-person truth (first start, dob, propensity to run, name group, sex) for the
    children with an episode reaching into the covered fiscal years."""
    history_start = d0 - round(_HISTORY_YEARS * YEAR)
    years = (dl - history_start + 1) / YEAR
    n = max(50, round(CHILDREN_PER_FISCAL_YEAR * _ENTRIES_PER_YEAR_PER_CHILD * scale * years))
    start = rng.integers(history_start, dl + 1, n)
    age = rng.choice(18, size=n, p=probabilities(_ENTRY_AGE_WEIGHTS))
    dob = start - np.floor(age * YEAR + rng.uniform(0, YEAR - 1, n)).astype("int64")
    end = np.minimum(start + _episode_lengths(rng, n), dob + AGE_18 - 1)
    county = rng.choice(len(COUNTY_NAMES), size=n, p=COUNTY_WEIGHTS)
    person = np.arange(n)

    parts = [(person, start, end, county)]
    prev_person, prev_end = person, end
    for share in (0.09, 0.12):  # re-entries, then a few second re-entries
        ended = np.flatnonzero(prev_end < dl)
        chosen = ended[pick(rng, len(ended), share, minimum=1 if len(ended) else 0)]
        who = prev_person[chosen]
        gap = np.clip(rng.lognormal(np.log(180), 0.8, len(chosen)), 20, 900).astype("int64")
        s2 = prev_end[chosen] + gap
        ok = (s2 <= dl) & (s2 < dob[who] + AGE_18 - 30)
        who, s2 = who[ok], s2[ok]
        e2 = np.minimum(s2 + _episode_lengths(rng, len(s2)), dob[who] + AGE_18 - 1)
        moved = rng.random(len(who)) < 0.15
        c2 = np.where(
            moved, rng.choice(len(COUNTY_NAMES), size=len(who), p=COUNTY_WEIGHTS), county[who]
        )
        parts.append((who, s2, e2, c2))
        prev_person, prev_end = who, e2
    p, s, e, c = (np.concatenate(cols) for cols in zip(*parts, strict=True))

    # Keep the children with an episode reaching into the covered years (with all their rows).
    kept = np.zeros(n, bool)
    kept[p[e >= d0]] = True
    new_index = np.cumsum(kept) - 1
    rows = kept[p]
    episodes = {"person": new_index[p[rows]], "start": s[rows], "end": e[rows], "county": c[rows]}
    n_people = int(kept.sum())
    truth = {
        "first_start": start[kept],
        "dob": dob[kept],
        "propensity": rng.lognormal(0.0, 1.0, n_people),
        "group": rng.choice(4, size=n_people, p=GROUP_SHARES),
        "female": rng.random(n_people) < 0.5,
    }
    return episodes, truth


def _episode_lengths(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.maximum(1, rng.lognormal(np.log(420), 0.85, n)).astype("int64")


def cvs_episode_frame(
    rng: np.random.Generator,
    episodes: dict[str, np.ndarray],
    truth: dict[str, np.ndarray],
    dl: int,
) -> pd.DataFrame:
    person_ids = truth["person_id"]
    p, s, e, c = episodes["person"], episodes["start"], episodes["end"], episodes["county"]
    # A few duplicated episode rows with the same start (data-entry ties), another county.
    dup = pick(rng, len(p), 0.002)
    p = np.concatenate([p, p[dup]])
    s = np.concatenate([s, s[dup]])
    e = np.concatenate([e, e[dup]])
    c = np.concatenate([c, rng.choice(len(COUNTY_NAMES), len(dup), p=COUNTY_WEIGHTS)])
    order = np.lexsort((rng.random(len(p)), s))
    ids = 3_000_000 + np.cumsum(rng.integers(1, 40, len(p)))
    return pd.DataFrame(
        {
            "cvs_episode_id": ids,
            "person_id": person_ids[p[order]],
            "cnty_name": county_spellings(rng, c[order], 0.015),
            "cvs_start": to_dates(s[order]),
            "cvs_end": to_dates(e[order], e[order] > dl),
        }
    )
