"""DPS's TCIC store derived from the agency's runaway events: most reported (near the event's
dates), some by two or three agencies, some not at all, a few entries matching no event or
falling outside the window, a few with an agency county that is not a Texas county; each
recorded as a discrepancy kind."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dps_assets.embedded.synthetic.agency_data import AgencyData
from dps_assets.embedded.synthetic.counties import COUNTY_NAMES, COUNTY_WEIGHTS, canonical_county
from dps_assets.embedded.synthetic.fiscal_calendar import (
    AGE_10,
    AGE_18,
    day_number,
    fiscal_year_bounds,
    to_dates,
    to_day_numbers,
)
from dps_assets.embedded.synthetic.random_draws import pick, seeded_rng
from dps_assets.embedded.synthetic.tcic_fields import add_person_columns, mkes, nics, oris

NO_IMPACT_ENTRIES_PER_FISCAL_YEAR = 150  # at scale 1.0
_UNMAPPED_COUNTIES = ("Out of State", "Caddo Parish", "Unknown")


@dataclass(frozen=True)
class TcicData:
    """DPS's TCIC store: `missing_person_entry`, and `discrepancy` saying how each runaway event
    or entry was generated: kinds reported, not_reported, multi_agency, no_impact_event,
    outside_window, unmapped_county. An entry has one row per kind that applies to it (an
    unmapped-county entry is also reported or multi_agency); not_reported rows have no NIC."""

    missing_person_entry: pd.DataFrame
    discrepancy: pd.DataFrame


DISCREPANCY_KINDS = (
    "reported", "not_reported", "multi_agency", "no_impact_event", "outside_window",
    "unmapped_county",
)


def generate_tcic_entries(data: AgencyData, seed: int | None = None) -> TcicData:
    """DPS's missing-person entries for the agency's runaway events, with controlled
    discrepancies recorded in `discrepancy`. Uses only what the warehouse holds, so the result is
    the same whether `data` was generated in memory or read back from the warehouse file."""
    rng = seeded_rng(data.seed if seed is None else seed, 2)
    dl = day_number(data.last_day)
    ev = data.runaway_event.sort_values("runaway_event_id", kind="stable").reset_index(drop=True)
    run_day, _ = to_day_numbers(ev["runaway_date"])
    ret_day, ret_null = to_day_numbers(ev["return_date"])
    n = len(ev)

    reported = np.zeros(n, bool)
    reported[pick(rng, n, 0.85)] = True
    rep = np.flatnonzero(reported)
    shift = rng.integers(1, 4, len(rep)) * rng.choice([-1, 1], len(rep))
    shift[rng.random(len(rep)) < 0.55] = 0
    edge = pick(rng, len(rep), 0.02)  # exactly at the matching tolerance
    shift[edge] = 7 * rng.choice([-1, 1], len(edge))
    missing = np.minimum(run_day[rep] + shift, dl)
    clear = np.where(ret_null[rep], -1, np.minimum(ret_day[rep] + rng.integers(0, 4, len(rep)), dl))
    event_county = np.array([canonical_county(c) for c in ev["cnty_name"]], dtype=object)
    parts = [
        _entry_part(rng, ev["person_id"].to_numpy()[rep], event_county[rep], missing, clear, dl,
                    "reported", ev["runaway_event_id"].to_numpy()[rep]),
    ]
    multi = rep[pick(rng, len(rep), 0.03)]
    if len(multi):
        extra = rng.integers(1, 3, len(multi))  # 1-2 more agencies
        src = np.repeat(np.searchsorted(rep, multi), extra)
        other = rng.choice(len(COUNTY_NAMES), len(src), p=COUNTY_WEIGHTS)
        same = np.array([c.upper() for c in COUNTY_NAMES[other]]) == event_county[rep][src]
        other[same] = (other[same] + 1) % len(COUNTY_NAMES)  # another agency, another county
        parts.append(
            _entry_part(rng, ev["person_id"].to_numpy()[rep][src], COUNTY_NAMES[other],
                        missing[src], clear[src], dl, "multi_agency",
                        ev["runaway_event_id"].to_numpy()[rep][src])
        )
    for fy in data.fiscal_years:
        parts += _unmatched_entries(rng, data, ev, run_day, ret_day, ret_null, fy)

    entries = pd.concat(parts, ignore_index=True)
    entries["nic"] = nics(rng, len(entries))
    entries["ori"] = oris(rng, entries["agency_county"].to_numpy())
    entries["mke"] = mkes(rng, len(entries))
    entries = add_person_columns(rng, entries, data.person)

    # A few entries of reported events name an agency county that is not a Texas county.
    matched = np.flatnonzero(entries["kind"].isin(["reported", "multi_agency"]))
    unmapped = matched[pick(rng, len(matched), 0.01)]
    entries.loc[unmapped, "agency_county"] = rng.choice(
        np.array(_UNMAPPED_COUNTIES, dtype=object), len(unmapped)
    )
    suffixed = pick(rng, len(entries), 0.03)
    suffixed = suffixed[~np.isin(suffixed, unmapped)]
    entries.loc[suffixed, "agency_county"] = entries.loc[suffixed, "agency_county"] + " COUNTY"

    discrepancy = pd.concat(
        [
            entries[["nic", "runaway_event_id", "kind"]],
            entries.loc[unmapped, ["nic", "runaway_event_id"]].assign(kind="unmapped_county"),
            pd.DataFrame(
                {
                    "nic": None,
                    "runaway_event_id": ev["runaway_event_id"].to_numpy()[~reported],
                    "kind": "not_reported",
                }
            ),
        ],
        ignore_index=True,
    )
    discrepancy["runaway_event_id"] = discrepancy["runaway_event_id"].astype("Int64")
    discrepancy = discrepancy.sort_values(["kind", "runaway_event_id", "nic"], kind="stable")
    columns = [
        "nic", "dfps_person_id", "last_name", "first_name", "dob", "sex", "race", "mke", "ori",
        "agency_county", "entry_date", "missing_date", "clear_date",
    ]
    entries = entries.sort_values(["entry_date", "nic"], kind="stable")[columns]
    return TcicData(
        missing_person_entry=entries.reset_index(drop=True),
        discrepancy=discrepancy.reset_index(drop=True),
    )


def _entry_part(
    rng: np.random.Generator,
    person_id: np.ndarray,
    county: np.ndarray,
    missing: np.ndarray,
    clear: np.ndarray,
    dl: int,
    kind: str,
    event_id: np.ndarray | None,
) -> pd.DataFrame:
    """Entries of one kind; `clear` < 0 means still active."""
    m = len(person_id)
    entry = np.minimum(missing + rng.integers(0, 3, m), dl)
    clear_null = clear < 0
    clear = np.where(clear_null, 0, np.maximum(clear, entry))
    return pd.DataFrame(
        {
            "dfps_person_id": person_id.astype("int64"),
            "agency_county": np.array([str(c).upper() for c in county], dtype=object),
            "entry_date": to_dates(entry),
            "missing_date": to_dates(missing),
            "clear_date": to_dates(clear, clear_null),
            "kind": kind,
            "runaway_event_id": pd.array(event_id if event_id is not None else [None] * m,
                                         dtype="Int64"),
        }
    )


def _unmatched_entries(
    rng: np.random.Generator,
    data: AgencyData,
    ev: pd.DataFrame,
    run_day: np.ndarray,
    ret_day: np.ndarray,
    ret_null: np.ndarray,
    fy: int,
) -> list[pd.DataFrame]:
    """Entries matching no runaway event: 'no_impact_event' inside the fiscal year and
    'outside_window' 30-92 days before it, all more than 30 days from any event of the child."""
    dl = day_number(data.last_day)
    fs, fe = (day_number(d) for d in fiscal_year_bounds(fy))
    fe_eff = min(fe, dl)
    epi = data.cvs_episode
    start, _ = to_day_numbers(epi["cvs_start"])
    end, open_ = to_day_numbers(epi["cvs_end"])
    end = np.where(open_, dl, end)
    dob_by_person = data.person.set_index("person_id")["dob"]
    dob, no_dob = to_day_numbers(epi["person_id"].map(dob_by_person))
    ok_dob = ~no_dob & (dob < start)
    lo = np.maximum.reduce([start, np.full_like(start, fs), dob + AGE_10])
    hi = np.minimum.reduce([end, np.full_like(end, fe_eff), dob + AGE_18 - 1])
    length = np.where(ok_dob, np.maximum(hi - lo + 1, 0), 0)

    events_in_fy = int(((run_day >= fs) & (run_day <= fe_eff)).sum())
    wanted = {
        "no_impact_event": max(1, round(
            NO_IMPACT_ENTRIES_PER_FISCAL_YEAR * data.scale * (fe_eff - fs + 1) / (fe - fs + 1))),
        "outside_window": max(1, round(0.02 * events_in_fy)),
    }
    busy_end = np.where(ret_null, dl, ret_day)
    parts = []
    for kind, k in wanted.items():
        if length.sum() == 0:
            continue
        idx = rng.choice(len(length), size=8 * k + 20, p=length / length.sum())
        if kind == "no_impact_event":
            day = lo[idx] + np.floor(rng.random(len(idx)) * length[idx]).astype("int64")
        else:
            day = fs - rng.integers(30, 93, len(idx))
        cand = pd.DataFrame({"person_id": epi["person_id"].to_numpy()[idx], "day": day,
                             "county": epi["cnty_name"].to_numpy()[idx]})
        cand = cand.drop_duplicates("person_id").reset_index(drop=True)
        near = cand.reset_index().merge(
            pd.DataFrame({"person_id": ev["person_id"], "r": run_day, "b": busy_end}),
            on="person_id",
        )
        gap = np.maximum.reduce([(near["r"] - near["day"]).to_numpy(), (near["day"] - near["b"]).to_numpy(),
                                 np.zeros(len(near), "int64")])
        cand = cand.drop(index=near.loc[gap <= 30, "index"].unique()).head(k)
        m = len(cand)
        clear = cand["day"].to_numpy() + rng.integers(1, 46, m)
        clear = np.where((clear > dl) | (rng.random(m) < 0.1), -1, clear)
        parts.append(
            _entry_part(rng, cand["person_id"].to_numpy(),
                        np.array([canonical_county(c) for c in cand["county"]], dtype=object),
                        cand["day"].to_numpy(), clear, dl, kind, None)
        )
    return parts
