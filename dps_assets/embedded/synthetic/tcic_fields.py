"""How DPS writes a missing-person entry's fields: unique NICs, ORIs (agency by county), MKE
codes, and its own view of each child."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dps_assets.embedded.synthetic.counties import COUNTY_NUMBER
from dps_assets.embedded.synthetic.fiscal_calendar import YEAR, to_dates
from dps_assets.embedded.synthetic.names import ANGLO, FIRST_NAMES, LAST_NAMES, dps_name
from dps_assets.embedded.synthetic.random_draws import probabilities, weighted_choice

_MKE = (("EMJ", 0.88), ("EME", 0.04), ("EMI", 0.02), ("EMD", 0.02), ("EMV", 0.02), ("EMO", 0.02))
_NCIC_RACE = {"WT": "W", "AA": "B", "AN": "I", "AS": "A", "HP": "A"}


def mkes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Message keys, mostly EMJ (missing juvenile)."""
    return weighted_choice(rng, _MKE, n)


def nics(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique NICs: 'M' + 9 digits."""
    numbers = np.empty(0, dtype="int64")
    while len(numbers) < n:
        more = rng.integers(0, 10**9, 2 * n + 10)
        numbers = pd.unique(np.concatenate([numbers, more]))
    return np.array([f"M{x:09d}" for x in numbers[:n]], dtype=object)


def oris(rng: np.random.Generator, county: np.ndarray) -> np.ndarray:
    """'TX' + 3-digit county number + agency (0000 sheriff, 0100.. police departments)."""
    numbers = {c.upper(): f"{no:03d}" for c, no in COUNTY_NUMBER.items()}
    agency = rng.choice(10, size=len(county), p=probabilities([45, 25, 10, 6, 4, 3, 3, 2, 1, 1]))
    fallback = rng.integers(1, 255, len(county))
    return np.array(
        [f"TX{numbers.get(c, f'{f:03d}')}{a:02d}00" for c, a, f in zip(county, agency, fallback, strict=True)],
        dtype=object,
    )


def add_person_columns(
    rng: np.random.Generator, entries: pd.DataFrame, person: pd.DataFrame
) -> pd.DataFrame:
    """DPS's view of each child: ASCII upper-case names, M/F sex, NCIC race, a DOB always."""
    people = person.set_index("person_id").loc[entries["dfps_person_id"].unique()]
    m = len(people)
    last = np.array([dps_name(x) for x in people["last_name"]], dtype=object)
    first = np.array([dps_name(x) for x in people["first_name"]], dtype=object)
    # DPS knows the child's name even where IMPACT's is junk.
    spare_last = np.array([dps_name(x) for x in LAST_NAMES[ANGLO]], dtype=object)
    spare_first = np.array([dps_name(x) for x in FIRST_NAMES[(ANGLO, True)]], dtype=object)
    last = np.where(pd.isna(last), spare_last[rng.integers(0, len(spare_last), m)], last)
    first = np.where(pd.isna(first), spare_first[rng.integers(0, len(spare_first), m)], first)

    code = people["sex"].astype("string").str.strip().str.upper().fillna("").to_numpy(object)
    sex = np.full(len(code), None, dtype=object)
    sex[np.isin(code, ["M", "MALE"])] = "M"
    sex[np.isin(code, ["F", "FEMALE"])] = "F"
    unknown = pd.isna(sex)
    sex[unknown] = rng.choice(np.array(["M", "F"], dtype=object), int(unknown.sum()))
    race_code = people["race"].astype("string").str.strip().str.upper()
    race = race_code.map(_NCIC_RACE).fillna("U").to_numpy(dtype=object)

    first_missing = entries.groupby("dfps_person_id")["missing_date"].min().loc[people.index]
    dob = people["dob"].to_numpy(dtype="datetime64[ns]").copy()
    invalid = pd.isna(dob) | (dob > first_missing.to_numpy(dtype="datetime64[ns]"))
    made_up = first_missing.to_numpy(dtype="datetime64[D]").astype("int64") - np.floor(
        rng.uniform(13 * YEAR, 17 * YEAR, m)
    ).astype("int64")
    dob[invalid] = to_dates(made_up)[invalid]

    dps = pd.DataFrame(
        {"dfps_person_id": people.index.to_numpy(), "last_name": last, "first_name": first,
         "dob": dob, "sex": sex, "race": race}
    )
    return entries.merge(dps, on="dfps_person_id", how="left")
