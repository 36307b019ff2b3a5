"""The `person` table: IMPACT-looking person ids, and each child's names, date of birth, sex and
race codes with realistic dirt (accents, punctuation, junk names, odd codes, bad dates of birth)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dps_assets.embedded.synthetic.fiscal_calendar import to_dates
from dps_assets.embedded.synthetic.names import (
    AFRICAN_AMERICAN,
    ANGLO,
    FIRST_NAMES,
    HISPANIC,
    LAST_NAMES,
    VIETNAMESE,
    choose_names,
)
from dps_assets.embedded.synthetic.random_draws import pick, probabilities

# IMPACT race code probabilities by name group: WT AA AN AS HP UD
_RACE_CODES = np.array(["WT", "AA", "AN", "AS", "HP", "UD"], dtype=object)
_RACE_BY_GROUP = {
    HISPANIC: [0.90, 0.03, 0.02, 0.00, 0.00, 0.05],
    ANGLO: [0.92, 0.04, 0.01, 0.005, 0.005, 0.02],
    AFRICAN_AMERICAN: [0.05, 0.92, 0.00, 0.00, 0.00, 0.03],
    VIETNAMESE: [0.02, 0.00, 0.00, 0.95, 0.01, 0.02],
}
_JUNK_NAMES = ("--", "???", "", ".", "  ", "*", "-")
_NAME_SUFFIXES = (" Jr.", " Jr", " III", " II", " Sr.")


def assign_person_ids(rng: np.random.Generator, first_start: np.ndarray) -> np.ndarray:
    """IMPACT-looking person ids, roughly increasing with the first episode's start."""
    noisy = first_start + rng.integers(0, 400, len(first_start))
    order = np.argsort(noisy, kind="stable")
    ids = np.empty(len(order), dtype="int64")
    ids[order] = 1_000_000 + np.cumsum(rng.integers(1, 200, len(order)))
    return ids


def person_frame(rng: np.random.Generator, truth: dict[str, np.ndarray], dl: int) -> pd.DataFrame:
    """Person rows with realistic dirt: accents, punctuation, junk names, odd codes, bad DOBs."""
    n = len(truth["dob"])
    group, female = truth["group"], truth["female"]
    first = choose_names(rng, group, female, FIRST_NAMES)
    last = choose_names(rng, group, female, LAST_NAMES)
    middle = choose_names(rng, group, female, FIRST_NAMES)
    middle[rng.random(n) >= 0.25] = None  # most middle names are missing

    hyphen = np.flatnonzero(group == HISPANIC)
    hyphen = hyphen[pick(rng, len(hyphen), 0.05)]
    second = choose_names(rng, group[hyphen], female[hyphen], LAST_NAMES)
    seps = rng.choice(np.array(["-", " "], dtype=object), size=len(hyphen))
    last[hyphen] = last[hyphen] + seps + second

    for i in pick(rng, n, 0.005):
        last[i] = last[i] + _NAME_SUFFIXES[rng.integers(len(_NAME_SUFFIXES))]
    others = choose_names(rng, group, female, FIRST_NAMES)
    for i in pick(rng, n, 0.003):
        first[i] = f"{first[i]}  {others[i]}"  # double space in a compound first name
    for i in pick(rng, n, 0.003):
        first[i] = f" {first[i]} "
    for i in pick(rng, n, 0.015):
        first[i], last[i] = first[i].upper(), last[i].upper()
    for i in pick(rng, n, 0.003):
        first[i], last[i] = first[i].lower(), last[i].lower()
    for i in pick(rng, n, 0.0005):
        first[i] = _JUNK_NAMES[rng.integers(len(_JUNK_NAMES))]
    for i in pick(rng, n, 0.0005):
        last[i] = _JUNK_NAMES[rng.integers(len(_JUNK_NAMES))]
    last[pick(rng, n, 0.0002)] = None
    for i in np.flatnonzero(rng.random(n) < 0.01):
        if middle[i] is not None:
            middle[i] = middle[i][0] + "."  # an initial

    dob = truth["dob"].copy()
    no_dob = np.zeros(n, bool)
    no_dob[pick(rng, n, 0.003)] = True
    future = pick(rng, n, 0.0005)
    dob[future] = dl + rng.integers(30, 3650, len(future))  # typed in the future
    no_dob[future] = False

    frame = pd.DataFrame(
        {
            "person_id": truth["person_id"],
            "first_name": first,
            "middle_name": middle,
            "last_name": last,
            "dob": to_dates(dob, no_dob),
            "sex": _sex_codes(rng, female),
            "race": _race_codes(rng, group),
        }
    )
    return frame.sort_values("person_id", kind="stable").reset_index(drop=True)


def _sex_codes(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    variants = [  # (male spelling, female spelling, share)
        ("M", "F", 0.925), ("m", "f", 0.02), ("Male", "Female", 0.015),
        (" Male ", " Female ", 0.005), ("MALE", "FEMALE", 0.015), (None, None, 0.01),
        ("X", "X", 0.006), ("U", "U", 0.004),
    ]
    kind = rng.choice(len(variants), size=len(female), p=probabilities([v[2] for v in variants]))
    male_codes = np.array([v[0] for v in variants], dtype=object)
    female_codes = np.array([v[1] for v in variants], dtype=object)
    return np.where(female, female_codes[kind], male_codes[kind])


def _race_codes(rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
    code = np.empty(len(group), dtype=object)
    for g, probs in _RACE_BY_GROUP.items():
        mask = group == g
        code[mask] = _RACE_CODES[rng.choice(len(_RACE_CODES), int(mask.sum()), p=probs)]
    n = len(code)
    for i in pick(rng, n, 0.01):
        code[i] = code[i].lower()
    for i in pick(rng, n, 0.01):
        code[i] = " " + code[i] if rng.random() < 0.5 else code[i] + " "
    code[pick(rng, n, 0.003)] = "XX"
    code[pick(rng, n, 0.02)] = None
    return code
