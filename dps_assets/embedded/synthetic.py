"""Seeded synthetic data for the embedded stack: IMPACT's tables (children in conservatorship,
their episodes and runaway events) and DPS's TCIC missing-person entries derived from them with
controlled, recorded discrepancies.

Everything here is invented. Names are random combinations drawn from lists of common first and
last names; no row describes a real person. Only the Texas counties and their DFPS regions are
real. Pure numpy/pandas; the same seed always gives the same frames.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------------------------
# Counties and regions
# --------------------------------------------------------------------------------------------

_REGION_COUNTIES: dict[str, tuple[str, ...]] = {
    "1": (  # Lubbock / Panhandle
        "Armstrong", "Bailey", "Briscoe", "Carson", "Castro", "Childress", "Cochran",
        "Collingsworth", "Crosby", "Dallam", "Deaf Smith", "Dickens", "Donley", "Floyd", "Garza",
        "Gray", "Hale", "Hall", "Hansford", "Hartley", "Hemphill", "Hockley", "Hutchinson", "King",
        "Lamb", "Lipscomb", "Lubbock", "Lynn", "Moore", "Motley", "Ochiltree", "Oldham", "Parmer",
        "Potter", "Randall", "Roberts", "Sherman", "Swisher", "Terry", "Wheeler", "Yoakum",
    ),
    "2": (  # Abilene
        "Archer", "Baylor", "Brown", "Callahan", "Clay", "Coleman", "Comanche", "Cottle",
        "Eastland", "Fisher", "Foard", "Hardeman", "Haskell", "Jack", "Jones", "Kent", "Knox",
        "Mitchell", "Montague", "Nolan", "Runnels", "Scurry", "Shackelford", "Stephens",
        "Stonewall", "Taylor", "Throckmorton", "Wichita", "Wilbarger", "Young",
    ),
    "3": (  # Arlington / DFW
        "Collin", "Cooke", "Dallas", "Denton", "Ellis", "Erath", "Fannin", "Grayson", "Hood",
        "Hunt", "Johnson", "Kaufman", "Navarro", "Palo Pinto", "Parker", "Rockwall", "Somervell",
        "Tarrant", "Wise",
    ),
    "4": (  # Tyler
        "Anderson", "Bowie", "Camp", "Cass", "Cherokee", "Delta", "Franklin", "Gregg", "Harrison",
        "Henderson", "Hopkins", "Lamar", "Marion", "Morris", "Panola", "Rains", "Red River", "Rusk",
        "Smith", "Titus", "Upshur", "Van Zandt", "Wood",
    ),
    "5": (  # Beaumont
        "Angelina", "Hardin", "Houston", "Jasper", "Jefferson", "Nacogdoches", "Newton", "Orange",
        "Polk", "Sabine", "San Augustine", "San Jacinto", "Shelby", "Trinity", "Tyler",
    ),
    "6": (  # Houston
        "Austin", "Brazoria", "Chambers", "Colorado", "Fort Bend", "Galveston", "Harris",
        "Liberty", "Matagorda", "Montgomery", "Walker", "Waller", "Wharton",
    ),
    "7": (  # Austin
        "Bastrop", "Bell", "Blanco", "Bosque", "Brazos", "Burleson", "Burnet", "Caldwell",
        "Coryell", "Falls", "Fayette", "Freestone", "Grimes", "Hamilton", "Hays", "Hill",
        "Lampasas", "Lee", "Leon", "Limestone", "Llano", "Madison", "McLennan", "Milam", "Mills",
        "Robertson", "San Saba", "Travis", "Washington", "Williamson",
    ),
    "8": (  # San Antonio
        "Atascosa", "Bandera", "Bexar", "Calhoun", "Comal", "DeWitt", "Dimmit", "Edwards", "Frio",
        "Gillespie", "Goliad", "Gonzales", "Guadalupe", "Jackson", "Karnes", "Kendall", "Kerr",
        "Kinney", "La Salle", "Lavaca", "Maverick", "Medina", "Real", "Uvalde", "Val Verde",
        "Victoria", "Wilson", "Zavala",
    ),
    "9": (  # Midland
        "Andrews", "Borden", "Coke", "Concho", "Crane", "Crockett", "Dawson", "Ector", "Gaines",
        "Glasscock", "Howard", "Irion", "Kimble", "Loving", "Martin", "Mason", "McCulloch",
        "Menard", "Midland", "Pecos", "Reagan", "Reeves", "Schleicher", "Sterling", "Sutton",
        "Terrell", "Tom Green", "Upton", "Ward", "Winkler",
    ),
    "10": ("Brewster", "Culberson", "El Paso", "Hudspeth", "Jeff Davis", "Presidio"),  # El Paso
    "11": (  # Edinburg
        "Aransas", "Bee", "Brooks", "Cameron", "Duval", "Hidalgo", "Jim Hogg", "Jim Wells",
        "Kenedy", "Kleberg", "Live Oak", "McMullen", "Nueces", "Refugio", "San Patricio", "Starr",
        "Webb", "Willacy", "Zapata",
    ),
}

TEXAS_COUNTIES: dict[str, str] = {
    county: region for region, counties in _REGION_COUNTIES.items() for county in counties
}
"""All 254 Texas counties (canonical spelling) -> DFPS region '1'..'11'."""

# How a few counties are spelled in the agency's lookup table (the pipeline must cope).
_LOOKUP_SPELLINGS = {
    "DeWitt": "DeWitt County",
    "La Salle": "LA SALLE",
    "McMullen": "Mc Mullen",
    "Red River": "Red River County",
    "Jeff Davis": "JEFF DAVIS",
    "McCulloch": "Mc Culloch",
}
# Spelling variants seen in episode/event rows for a few counties, besides upper case etc.
_ROW_SPELLINGS = {"DeWitt": "De Witt", "La Salle": "LaSalle", "McLennan": "Mc Lennan"}

# Approximate 2020 census population in thousands; counties not listed weigh _SMALL_COUNTY.
_POPULATION_K = {
    "Harris": 4731, "Dallas": 2613, "Tarrant": 2110, "Bexar": 2009, "Travis": 1291,
    "Collin": 1065, "Denton": 907, "Hidalgo": 871, "El Paso": 865, "Fort Bend": 822,
    "Montgomery": 620, "Williamson": 610, "Cameron": 421, "Brazoria": 373, "Bell": 371,
    "Nueces": 353, "Galveston": 350, "Lubbock": 311, "Webb": 267, "McLennan": 261,
    "Jefferson": 256, "Hays": 241, "Brazos": 234, "Smith": 233, "Ellis": 193, "Johnson": 180,
    "Guadalupe": 172, "Midland": 170, "Ector": 166, "Comal": 162, "Parker": 149, "Kaufman": 146,
    "Taylor": 143, "Randall": 140, "Grayson": 136, "Wichita": 130, "Gregg": 124,
    "Tom Green": 120, "Potter": 118, "Rockwall": 108, "Hunt": 100, "Bastrop": 98, "Bowie": 92,
    "Liberty": 91, "Victoria": 91, "Angelina": 86, "Orange": 85, "Coryell": 83, "Henderson": 82,
    "Walker": 76, "Wise": 69, "San Patricio": 68, "Harrison": 68, "Starr": 65, "Nacogdoches": 65,
    "Hood": 61, "Van Zandt": 59, "Maverick": 58, "Anderson": 58, "Hardin": 57, "Waller": 56,
    "Kerr": 53, "Rusk": 52, "Navarro": 52, "Medina": 50, "Polk": 50, "Cherokee": 50,
    "Lamar": 50, "Wilson": 49, "Burnet": 49, "Atascosa": 48, "Val Verde": 48, "Chambers": 46,
    "Caldwell": 45, "Wood": 45, "Kendall": 44, "Erath": 42, "Cooke": 41, "Wharton": 41,
    "Upshur": 40, "Jim Wells": 39, "Brown": 38, "Hopkins": 37, "Matagorda": 36, "Hill": 36,
    "Fannin": 36, "Washington": 36, "Howard": 34, "Jasper": 33, "Hale": 32, "Kleberg": 31,
    "Titus": 31, "Austin": 30, "Palo Pinto": 29,
}
_SMALL_COUNTY = 10.0

_NOT_LETTER = re.compile(r"[^A-Z]")
_COUNTY_SUFFIX = re.compile(r"\s+COUNTY\s*$")


def _ascii_fold(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def county_key(name: str) -> str:
    """The pipeline's comparison key: upper case, trailing word COUNTY dropped, A-Z only."""
    return _NOT_LETTER.sub("", _COUNTY_SUFFIX.sub("", _ascii_fold(name).upper().strip()))


def _county_numbers() -> dict[str, int]:
    """Texas county number (1..254, alphabetical), as used in ORIs: Travis -> 227."""
    ordered = sorted(TEXAS_COUNTIES, key=county_key)
    return {county: i + 1 for i, county in enumerate(ordered)}


_COUNTY_NAMES = np.array(sorted(TEXAS_COUNTIES, key=county_key), dtype=object)
_COUNTY_WEIGHTS = np.array([_POPULATION_K.get(c, _SMALL_COUNTY) for c in _COUNTY_NAMES])
_COUNTY_WEIGHTS = _COUNTY_WEIGHTS / _COUNTY_WEIGHTS.sum()
_COUNTY_NUMBER = _county_numbers()
_CANONICAL_BY_KEY = {county_key(c): c for c in TEXAS_COUNTIES}

# --------------------------------------------------------------------------------------------
# Names (common names; combined at random, so no generated person is real)
# --------------------------------------------------------------------------------------------

_HISPANIC, _ANGLO, _AFRICAN_AMERICAN, _VIETNAMESE = 0, 1, 2, 3
_GROUP_SHARES = np.array([0.45, 0.33, 0.19, 0.03])

_LAST = {
    _HISPANIC: (
        "García Martínez Rodríguez Hernández López González Pérez Sánchez Ramírez Torres Flores "
        "Rivera Gómez Díaz Reyes Cruz Morales Ortiz Gutiérrez Chávez Ramos Ruiz Álvarez Mendoza "
        "Castillo Jiménez Moreno Romero Herrera Medina Aguilar Vásquez Castro Guerrero Salinas "
        "Garza Treviño Cantú Villarreal Peña Muñoz Zamora Cavazos Saldaña Ibarra Delgado "
        "Contreras Luna Soto Vega Rosales Espinoza Longoria Guajardo Ybarra Saenz Cisneros"
    ).split() + ["De León", "De La Cruz", "De La Rosa"],
    _ANGLO: (
        "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
        "Martin Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott "
        "Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker "
        "Evans Edwards Collins Stewart Morris Murphy Cook Rogers Cooper Reed Bailey Bell Kelly "
        "Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray Hughes Price Sanders Myers "
        "Long Ross Foster Powell Jenkins Perry Russell Sullivan O'Brien O'Neal McDonald McKinney"
    ).split() + ["St. John", "Van Dyke"],
    _AFRICAN_AMERICAN: (
        "Washington Jefferson Jackson Johnson Williams Brown Jones Davis Harris Robinson Thomas "
        "Taylor Moore Walker White Thompson Lewis Wilson Clark Hall Young Allen Wright Green "
        "Mitchell Carter Coleman Jenkins Simmons Banks Booker Freeman Gaines Mosley Pierce Dorsey "
        "Mack Battle Hawkins Franklin Graham Holmes Bryant Henderson Sims Mayfield Ellis Hamilton "
        "Joseph Pierre"
    ).split(),
    _VIETNAMESE: (
        "Nguyễn Trần Lê Phạm Huỳnh Hoàng Phan Vũ Võ Dang Bùi Do Hồ Ngô Duong Lý Trương Dinh Lâm "
        "Mai Tô Cao"
    ).split(),
}
_FIRST = {  # (group, is_female) -> names
    (_HISPANIC, False): (
        "José Juan Luis Carlos Jesús Miguel Ángel Diego Jorge Alejandro Adrián Daniel David "
        "Antonio Fernando Francisco Javier Manuel Mateo Santiago Sebastián Emiliano Iker Gael "
        "Julián Joaquín Eduardo Ricardo Roberto Isaac Christopher Anthony Jonathan Kevin Brandon "
        "Adriel Ezequiel Matías Andrés Rubén"
    ).split(),
    (_HISPANIC, True): (
        "María Guadalupe Sofía Valeria Camila Isabella Ximena Natalia Daniela Mariana Andrea "
        "Gabriela Alejandra Ana Lucía Victoria Fernanda Jimena Itzel Yesenia Yadira Esmeralda "
        "Jazmín Brenda Karla Leslie Ashley Emily Génesis Aaliyah Abigail Mía Valentina Renata "
        "Paola Marisol Araceli Nayeli Citlali Jocelyn"
    ).split(),
    (_ANGLO, False): (
        "James John Robert Michael William David Joseph Thomas Christopher Daniel Matthew Andrew "
        "Joshua Ethan Noah Liam Mason Logan Jacob Tyler Caleb Wyatt Hunter Austin Dylan Cody "
        "Colton Brayden Jackson Aiden Gavin Hayden Landon Cole Blake Garrett Travis Dustin Bryce "
        "Kaden"
    ).split(),
    (_ANGLO, True): (
        "Emma Olivia Ava Sophia Isabella Mia Emily Madison Abigail Hannah Elizabeth Sarah Jessica "
        "Ashley Taylor Brooklyn Kaylee Haley Alyssa Lauren Megan Brittany Chloe Addison Harper "
        "Avery Ella Grace Lily Zoey Kayla Savannah Paige Destiny Cheyenne Makayla Jordan Morgan "
        "Katelyn Rylee"
    ).split(),
    (_AFRICAN_AMERICAN, False): (
        "Jamal Darnell DeShawn Malik Jaylen Jalen Terrell Tyrone Marcus Andre Darius Isaiah "
        "Elijah Jeremiah Xavier Cameron Jordan Trevon Kendrick Jaden Jayden Demarcus Keshawn "
        "Tremaine Devontae Zion Josiah Micah Kameron D'Andre Ja'Marcus Quentin Reginald Cedric "
        "Antwan Kobe Amari Bryson Khalil Omari"
    ).split(),
    (_AFRICAN_AMERICAN, True): (
        "Aaliyah Imani Jasmine Destiny Diamond Tiana Kiara Jada Nia Ebony Aniyah Makayla Brianna "
        "Taniya Keisha Tamika LaToya Shanice Jazmine Amari Kennedy Londyn Zaria Janiyah Ke'Asia "
        "Ta'Niyah Nevaeh Trinity Essence Dominique Raven Kayla Asia Alexis Arianna Skylar Laila "
        "Harmony A'Niyah"
    ).split(),
    (_VIETNAMESE, False): (
        "Minh Huy Khang Bảo Duc Quang Phúc Tuấn Nam Long Thành Hiếu Kevin Tony Vincent Andrew "
        "Brian Peter Danny Jimmy"
    ).split(),
    (_VIETNAMESE, True): (
        "Anh Linh Ngọc Thảo Trang Vy Phương Hương Mai Lan Tiffany Jennifer Vivian Christine "
        "Michelle Amy Nancy Kim Jenny Tina"
    ).split(),
}
# Share of accented names typed without their accents, by group.
_ACCENTS_DROPPED = {_HISPANIC: 0.45, _ANGLO: 0.0, _AFRICAN_AMERICAN: 0.0, _VIETNAMESE: 0.35}
# IMPACT race code probabilities by name group: WT AA AN AS HP UD
_RACE_CODES = np.array(["WT", "AA", "AN", "AS", "HP", "UD"], dtype=object)
_RACE_BY_GROUP = {
    _HISPANIC: [0.90, 0.03, 0.02, 0.00, 0.00, 0.05],
    _ANGLO: [0.92, 0.04, 0.01, 0.005, 0.005, 0.02],
    _AFRICAN_AMERICAN: [0.05, 0.92, 0.00, 0.00, 0.00, 0.03],
    _VIETNAMESE: [0.02, 0.00, 0.00, 0.95, 0.01, 0.02],
}
_JUNK_NAMES = ("--", "???", "", ".", "  ", "*", "-")
_NAME_SUFFIXES = (" Jr.", " Jr", " III", " II", " Sr.")

_LIVING_ARRANGEMENTS = (
    ("Basic Foster Family Home", 0.22), ("Foster Home", 0.10), ("Kinship", 0.12),
    ("Kinship - Relative", 0.05), ("GRO - Emergency Shelter", 0.14), ("RTC", 0.08),
    ("GRO - Residential Treatment Center", 0.07), ("Foster Group Home", 0.05),
    ("Child Without Placement", 0.06), ("Supervised Independent Living", 0.03),
    ("Own Home", 0.04), ("Juvenile Detention", 0.04),
)

# Age at entry into care, 0..17 (many infants).
_ENTRY_AGE_WEIGHTS = np.array(
    [16, 7, 6, 6, 5.5, 5, 5, 4.5, 4.5, 4.5, 4.5, 4.5, 5, 5, 5.5, 5.5, 4.5, 2.5]
)

# --------------------------------------------------------------------------------------------
# Volumes at scale 1.0
# --------------------------------------------------------------------------------------------

CHILDREN_PER_FISCAL_YEAR = 60_000
RUNAWAY_EVENTS_PER_FISCAL_YEAR = 3_000
NO_IMPACT_ENTRIES_PER_FISCAL_YEAR = 150
_ENTRIES_PER_YEAR_PER_CHILD = 0.368  # episode starts a year per distinct child-in-year (calibrated)
_HISTORY_YEARS = 10  # episodes are simulated from this long before the first fiscal year
_EPOCH = date(1970, 1, 1)
_YEAR = 365.2425
_AGE_12, _AGE_10, _AGE_18 = round(12 * _YEAR), round(10 * _YEAR), round(18 * _YEAR)


# --------------------------------------------------------------------------------------------
# Public data holders
# --------------------------------------------------------------------------------------------


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

# --------------------------------------------------------------------------------------------
# Calendar helpers
# --------------------------------------------------------------------------------------------


def fiscal_year_of(day: date) -> int:
    """Fiscal year Y runs 1 Sep Y-1 .. 31 Aug Y."""
    return day.year + 1 if day.month >= 9 else day.year


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    return date(fiscal_year - 1, 9, 1), date(fiscal_year, 8, 31)


def _day_number(day: date) -> int:
    return (day - _EPOCH).days


def _dates(days: np.ndarray, null: np.ndarray | None = None) -> np.ndarray:
    """Day numbers -> datetime64[ns] values (NaT where `null`)."""
    out = np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[ns]")
    if null is not None:
        out[null] = np.datetime64("NaT")
    return out


def _day_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Date column -> (day numbers with 0 where null, null mask)."""
    null = values.isna().to_numpy()
    days = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype("int64")
    days[null] = 0
    return days, null


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), stream]))


def _pick(rng: np.random.Generator, n: int, share: float, minimum: int = 1) -> np.ndarray:
    """Exactly max(minimum, round(share*n)) distinct indices out of n (never more than n)."""
    k = min(n, max(minimum, int(round(share * n))))
    return rng.choice(n, size=k, replace=False) if k else np.empty(0, dtype="int64")


_NOT_NAME_CHAR = re.compile(r"[^A-Z '\-]")
_SPACES = re.compile(r" {2,}")


def _dps_name(value: object) -> str | None:
    """DPS spells a name in upper-case ASCII: 'García-López' -> 'GARCIA-LOPEZ'."""
    if not isinstance(value, str):
        return None
    text = _SPACES.sub(" ", _NOT_NAME_CHAR.sub(" ", _ascii_fold(value).upper())).strip()
    return text or None


def _probabilities(weights: np.ndarray) -> np.ndarray:
    return np.asarray(weights, dtype=float) / np.sum(weights)


# --------------------------------------------------------------------------------------------
# IMPACT (the warehouse)
# --------------------------------------------------------------------------------------------


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
    rng = _rng(seed, 1)
    d0, dl = _day_number(first_day), _day_number(last_day)

    episodes, truth = _simulate_episodes(rng, d0, dl, scale)
    truth["person_id"] = _person_ids(rng, truth["first_start"])
    events = _simulate_runaway_events(rng, episodes, truth, first_fiscal_year, last_day, scale)
    person = _person_frame(rng, truth, dl)
    cvs_episode = _episode_frame(rng, episodes, truth, dl)
    runaway_event = _event_frame(rng, events, episodes, truth)
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


def county_lookup_frame() -> pd.DataFrame:
    """All 254 counties with their region, a few spelled the way the agency's table has them."""
    names = [_LOOKUP_SPELLINGS.get(c, c) for c in _COUNTY_NAMES]
    frame = pd.DataFrame(
        {"cnty_name": names, "sub_reg": [TEXAS_COUNTIES[c] for c in _COUNTY_NAMES]}
    )
    return frame.sort_values("cnty_name", kind="stable").reset_index(drop=True)


def _simulate_episodes(
    rng: np.random.Generator, d0: int, dl: int, scale: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Episodes (arrays person index, start, end, county index; an end after `dl` means still
    open) and per-person truth (first start, dob, propensity to run, name group, sex) for the
    children with an episode reaching into the covered fiscal years."""
    history_start = d0 - round(_HISTORY_YEARS * _YEAR)
    years = (dl - history_start + 1) / _YEAR
    n = max(50, round(CHILDREN_PER_FISCAL_YEAR * _ENTRIES_PER_YEAR_PER_CHILD * scale * years))
    start = rng.integers(history_start, dl + 1, n)
    age = rng.choice(18, size=n, p=_probabilities(_ENTRY_AGE_WEIGHTS))
    dob = start - np.floor(age * _YEAR + rng.uniform(0, _YEAR - 1, n)).astype("int64")
    end = np.minimum(start + _episode_lengths(rng, n), dob + _AGE_18 - 1)
    county = rng.choice(len(_COUNTY_NAMES), size=n, p=_COUNTY_WEIGHTS)
    person = np.arange(n)

    parts = [(person, start, end, county)]
    prev_person, prev_end = person, end
    for share in (0.09, 0.12):  # re-entries, then a few second re-entries
        ended = np.flatnonzero(prev_end < dl)
        chosen = ended[_pick(rng, len(ended), share, minimum=1 if len(ended) else 0)]
        who = prev_person[chosen]
        gap = np.clip(rng.lognormal(np.log(180), 0.8, len(chosen)), 20, 900).astype("int64")
        s2 = prev_end[chosen] + gap
        ok = (s2 <= dl) & (s2 < dob[who] + _AGE_18 - 30)
        who, s2 = who[ok], s2[ok]
        e2 = np.minimum(s2 + _episode_lengths(rng, len(s2)), dob[who] + _AGE_18 - 1)
        moved = rng.random(len(who)) < 0.15
        c2 = np.where(
            moved, rng.choice(len(_COUNTY_NAMES), size=len(who), p=_COUNTY_WEIGHTS), county[who]
        )
        parts.append((who, s2, e2, c2))
        prev_person, prev_end = who, e2
    p, s, e, c = (np.concatenate(cols) for cols in zip(*parts))

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
        "group": rng.choice(4, size=n_people, p=_GROUP_SHARES),
        "female": rng.random(n_people) < 0.5,
    }
    return episodes, truth


def _episode_lengths(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.maximum(1, rng.lognormal(np.log(420), 0.85, n)).astype("int64")


def _simulate_runaway_events(
    rng: np.random.Generator,
    episodes: dict[str, np.ndarray],
    truth: dict[str, np.ndarray],
    first_fiscal_year: int,
    last_day: date,
    scale: float,
) -> dict[str, np.ndarray]:
    """Runaway events (person index, episode index, runaway/return day) per fiscal year."""
    dl = _day_number(last_day)
    p, start = episodes["person"], episodes["start"]
    end = np.minimum(episodes["end"], dl)
    dob = truth["dob"][p]
    weight = truth["propensity"][p]
    rows_p, rows_ep, rows_day, rows_fy, targets = [], [], [], [], {}
    for fy in range(first_fiscal_year, fiscal_year_of(last_day) + 1):
        fs, fe = (_day_number(d) for d in fiscal_year_bounds(fy))
        fe_eff = min(fe, dl)
        covered = (fe_eff - fs + 1) / (fe - fs + 1)
        target = max(1, round(RUNAWAY_EVENTS_PER_FISCAL_YEAR * scale * covered))
        targets[fy] = target
        for low_age, high_age, share in ((_AGE_12, _AGE_18, 0.97), (_AGE_10, _AGE_12, 0.03)):
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


def _person_ids(rng: np.random.Generator, first_start: np.ndarray) -> np.ndarray:
    """IMPACT-looking person ids, roughly increasing with the first episode's start."""
    noisy = first_start + rng.integers(0, 400, len(first_start))
    order = np.argsort(noisy, kind="stable")
    ids = np.empty(len(order), dtype="int64")
    ids[order] = 1_000_000 + np.cumsum(rng.integers(1, 200, len(order)))
    return ids


def _choose_names(
    rng: np.random.Generator, group: np.ndarray, female: np.ndarray, table: dict
) -> np.ndarray:
    out = np.empty(len(group), dtype=object)
    for key, names in table.items():
        g, fem = key if isinstance(key, tuple) else (key, None)
        mask = group == g if fem is None else (group == g) & (female == fem)
        m = int(mask.sum())
        if not m:
            continue
        chosen = np.array(names, dtype=object)[rng.integers(0, len(names), m)]
        drop = np.flatnonzero(rng.random(m) < _ACCENTS_DROPPED[g])
        chosen[drop] = [_ascii_fold(x) for x in chosen[drop]]
        out[mask] = chosen
    return out


def _person_frame(rng: np.random.Generator, truth: dict[str, np.ndarray], dl: int) -> pd.DataFrame:
    """Person rows with realistic dirt: accents, punctuation, junk names, odd codes, bad DOBs."""
    n = len(truth["dob"])
    group, female = truth["group"], truth["female"]
    first = _choose_names(rng, group, female, _FIRST)
    last = _choose_names(rng, group, female, _LAST)
    middle = _choose_names(rng, group, female, _FIRST)
    middle[rng.random(n) >= 0.25] = None  # most middle names are missing

    hyphen = np.flatnonzero(group == _HISPANIC)
    hyphen = hyphen[_pick(rng, len(hyphen), 0.05)]
    second = _choose_names(rng, group[hyphen], female[hyphen], _LAST)
    seps = rng.choice(np.array(["-", " "], dtype=object), size=len(hyphen))
    last[hyphen] = last[hyphen] + seps + second

    for i in _pick(rng, n, 0.005):
        last[i] = last[i] + _NAME_SUFFIXES[rng.integers(len(_NAME_SUFFIXES))]
    others = _choose_names(rng, group, female, _FIRST)
    for i in _pick(rng, n, 0.003):
        first[i] = f"{first[i]}  {others[i]}"  # double space in a compound first name
    for i in _pick(rng, n, 0.003):
        first[i] = f" {first[i]} "
    for i in _pick(rng, n, 0.015):
        first[i], last[i] = first[i].upper(), last[i].upper()
    for i in _pick(rng, n, 0.003):
        first[i], last[i] = first[i].lower(), last[i].lower()
    for i in _pick(rng, n, 0.0005):
        first[i] = _JUNK_NAMES[rng.integers(len(_JUNK_NAMES))]
    for i in _pick(rng, n, 0.0005):
        last[i] = _JUNK_NAMES[rng.integers(len(_JUNK_NAMES))]
    last[_pick(rng, n, 0.0002)] = None
    for i in np.flatnonzero(rng.random(n) < 0.01):
        if middle[i] is not None:
            middle[i] = middle[i][0] + "."  # an initial

    dob = truth["dob"].copy()
    no_dob = np.zeros(n, bool)
    no_dob[_pick(rng, n, 0.003)] = True
    future = _pick(rng, n, 0.0005)
    dob[future] = dl + rng.integers(30, 3650, len(future))  # typed in the future
    no_dob[future] = False

    frame = pd.DataFrame(
        {
            "person_id": truth["person_id"],
            "first_name": first,
            "middle_name": middle,
            "last_name": last,
            "dob": _dates(dob, no_dob),
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
    kind = rng.choice(len(variants), size=len(female), p=_probabilities([v[2] for v in variants]))
    male_codes = np.array([v[0] for v in variants], dtype=object)
    female_codes = np.array([v[1] for v in variants], dtype=object)
    return np.where(female, female_codes[kind], male_codes[kind])


def _race_codes(rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
    code = np.empty(len(group), dtype=object)
    for g, probs in _RACE_BY_GROUP.items():
        mask = group == g
        code[mask] = _RACE_CODES[rng.choice(len(_RACE_CODES), int(mask.sum()), p=probs)]
    n = len(code)
    for i in _pick(rng, n, 0.01):
        code[i] = code[i].lower()
    for i in _pick(rng, n, 0.01):
        code[i] = " " + code[i] if rng.random() < 0.5 else code[i] + " "
    code[_pick(rng, n, 0.003)] = "XX"
    code[_pick(rng, n, 0.02)] = None
    return code


def _county_spellings(rng: np.random.Generator, county: np.ndarray, share: float) -> np.ndarray:
    """County names as IMPACT rows spell them: canonical, with a few variants."""
    names = _COUNTY_NAMES[county].copy()
    n = len(names)
    for i in _pick(rng, n, share):
        name = names[i]
        variant = rng.integers(4)
        if variant == 0 and name in _ROW_SPELLINGS:
            names[i] = _ROW_SPELLINGS[name]
        elif variant <= 1:
            names[i] = name.upper()
        elif variant == 2:
            names[i] = name + " County"
        else:
            names[i] = name + " "
    # The irregular spellings always appear at least once when the county does.
    for canonical, spelling in _ROW_SPELLINGS.items():
        hits = np.flatnonzero(names == canonical)
        if len(hits) > 1:
            names[hits[0]] = spelling
    return names


def _episode_frame(
    rng: np.random.Generator,
    episodes: dict[str, np.ndarray],
    truth: dict[str, np.ndarray],
    dl: int,
) -> pd.DataFrame:
    person_ids = truth["person_id"]
    p, s, e, c = episodes["person"], episodes["start"], episodes["end"], episodes["county"]
    # A few duplicated episode rows with the same start (data-entry ties), another county.
    dup = _pick(rng, len(p), 0.002)
    p = np.concatenate([p, p[dup]])
    s = np.concatenate([s, s[dup]])
    e = np.concatenate([e, e[dup]])
    c = np.concatenate([c, rng.choice(len(_COUNTY_NAMES), len(dup), p=_COUNTY_WEIGHTS)])
    order = np.lexsort((rng.random(len(p)), s))
    ids = 3_000_000 + np.cumsum(rng.integers(1, 40, len(p)))
    return pd.DataFrame(
        {
            "cvs_episode_id": ids,
            "person_id": person_ids[p[order]],
            "cnty_name": _county_spellings(rng, c[order], 0.015),
            "cvs_start": _dates(s[order]),
            "cvs_end": _dates(e[order], e[order] > dl),
        }
    )


def _event_frame(
    rng: np.random.Generator,
    events: dict[str, np.ndarray],
    episodes: dict[str, np.ndarray],
    truth: dict[str, np.ndarray],
) -> pd.DataFrame:
    n = len(events["person"])
    # Usually the county of the child's current episode; sometimes elsewhere.
    county = episodes["county"][events["episode"]].copy()
    elsewhere = rng.random(n) < 0.08
    county[elsewhere] = rng.choice(len(_COUNTY_NAMES), int(elsewhere.sum()), p=_COUNTY_WEIGHTS)
    arrangements = np.array([a for a, _ in _LIVING_ARRANGEMENTS], dtype=object)
    weights = _probabilities([w for _, w in _LIVING_ARRANGEMENTS])
    order = np.lexsort((events["person"], events["run_day"]))
    ids = 40_000_000 + np.cumsum(rng.integers(1, 25, n))
    return pd.DataFrame(
        {
            "runaway_event_id": ids,
            "person_id": truth["person_id"][events["person"][order]],
            "cnty_name": _county_spellings(rng, county[order], 0.01),
            "runaway_date": _dates(events["run_day"][order]),
            "return_date": _dates(events["ret_day"][order], events["still_missing"][order]),
            "living_arrangement": arrangements[rng.choice(len(arrangements), n, p=weights)],
        }
    )


# --------------------------------------------------------------------------------------------
# TCIC (DPS's store)
# --------------------------------------------------------------------------------------------

_MKE = (("EMJ", 0.88), ("EME", 0.04), ("EMI", 0.02), ("EMD", 0.02), ("EMV", 0.02), ("EMO", 0.02))
_UNMAPPED_COUNTIES = ("Out of State", "Caddo Parish", "Unknown")
_NCIC_RACE = {"WT": "W", "AA": "B", "AN": "I", "AS": "A", "HP": "A"}


def generate_tcic_entries(data: AgencyData, seed: int | None = None) -> TcicData:
    """DPS's missing-person entries for the agency's runaway events, with controlled
    discrepancies recorded in `discrepancy`. Uses only what the warehouse holds, so the result is
    the same whether `data` was generated in memory or read back from the warehouse file."""
    rng = _rng(data.seed if seed is None else seed, 2)
    dl = _day_number(data.last_day)
    ev = data.runaway_event.sort_values("runaway_event_id", kind="stable").reset_index(drop=True)
    run_day, _ = _day_numbers(ev["runaway_date"])
    ret_day, ret_null = _day_numbers(ev["return_date"])
    n = len(ev)

    reported = np.zeros(n, bool)
    reported[_pick(rng, n, 0.85)] = True
    rep = np.flatnonzero(reported)
    shift = rng.integers(1, 4, len(rep)) * rng.choice([-1, 1], len(rep))
    shift[rng.random(len(rep)) < 0.55] = 0
    edge = _pick(rng, len(rep), 0.02)  # exactly at the matching tolerance
    shift[edge] = 7 * rng.choice([-1, 1], len(edge))
    missing = np.minimum(run_day[rep] + shift, dl)
    clear = np.where(ret_null[rep], -1, np.minimum(ret_day[rep] + rng.integers(0, 4, len(rep)), dl))
    event_county = np.array([_canonical_county(c) for c in ev["cnty_name"]], dtype=object)
    parts = [
        _entry_part(rng, ev["person_id"].to_numpy()[rep], event_county[rep], missing, clear, dl,
                    "reported", ev["runaway_event_id"].to_numpy()[rep]),
    ]
    multi = rep[_pick(rng, len(rep), 0.03)]
    if len(multi):
        extra = rng.integers(1, 3, len(multi))  # 1-2 more agencies
        src = np.repeat(np.searchsorted(rep, multi), extra)
        other = rng.choice(len(_COUNTY_NAMES), len(src), p=_COUNTY_WEIGHTS)
        same = np.array([c.upper() for c in _COUNTY_NAMES[other]]) == event_county[rep][src]
        other[same] = (other[same] + 1) % len(_COUNTY_NAMES)  # another agency, another county
        parts.append(
            _entry_part(rng, ev["person_id"].to_numpy()[rep][src], _COUNTY_NAMES[other],
                        missing[src], clear[src], dl, "multi_agency",
                        ev["runaway_event_id"].to_numpy()[rep][src])
        )
    for fy in data.fiscal_years:
        parts += _unmatched_entries(rng, data, ev, run_day, ret_day, ret_null, fy)

    entries = pd.concat(parts, ignore_index=True)
    entries["nic"] = _nics(rng, len(entries))
    entries["ori"] = _oris(rng, entries["agency_county"].to_numpy())
    entries["mke"] = _choice(rng, _MKE, len(entries))
    entries = _add_person_columns(rng, entries, data.person)

    # A few entries of reported events name an agency county that is not a Texas county.
    matched = np.flatnonzero(entries["kind"].isin(["reported", "multi_agency"]))
    unmapped = matched[_pick(rng, len(matched), 0.01)]
    entries.loc[unmapped, "agency_county"] = rng.choice(
        np.array(_UNMAPPED_COUNTIES, dtype=object), len(unmapped)
    )
    suffixed = _pick(rng, len(entries), 0.03)
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


def _canonical_county(name: object) -> str:
    """The canonical Texas county for an IMPACT spelling; DPS writes it in upper case."""
    canonical = _CANONICAL_BY_KEY.get(county_key(str(name)), str(name).strip())
    return canonical.upper()


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
            "entry_date": _dates(entry),
            "missing_date": _dates(missing),
            "clear_date": _dates(clear, clear_null),
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
    dl = _day_number(data.last_day)
    fs, fe = (_day_number(d) for d in fiscal_year_bounds(fy))
    fe_eff = min(fe, dl)
    epi = data.cvs_episode
    start, _ = _day_numbers(epi["cvs_start"])
    end, open_ = _day_numbers(epi["cvs_end"])
    end = np.where(open_, dl, end)
    dob_by_person = data.person.set_index("person_id")["dob"]
    dob, no_dob = _day_numbers(epi["person_id"].map(dob_by_person))
    ok_dob = ~no_dob & (dob < start)
    lo = np.maximum.reduce([start, np.full_like(start, fs), dob + _AGE_10])
    hi = np.minimum.reduce([end, np.full_like(end, fe_eff), dob + _AGE_18 - 1])
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
        gap = np.maximum.reduce([near["r"] - near["day"], near["day"] - near["b"],
                                 np.zeros(len(near), "int64")])
        cand = cand.drop(index=near.loc[gap <= 30, "index"].unique()).head(k)
        m = len(cand)
        clear = cand["day"].to_numpy() + rng.integers(1, 46, m)
        clear = np.where((clear > dl) | (rng.random(m) < 0.1), -1, clear)
        parts.append(
            _entry_part(rng, cand["person_id"].to_numpy(),
                        np.array([_canonical_county(c) for c in cand["county"]], dtype=object),
                        cand["day"].to_numpy(), clear, dl, kind, None)
        )
    return parts


def _nics(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique NICs: 'M' + 9 digits."""
    numbers = np.empty(0, dtype="int64")
    while len(numbers) < n:
        more = rng.integers(0, 10**9, 2 * n + 10)
        numbers = pd.unique(np.concatenate([numbers, more]))
    return np.array([f"M{x:09d}" for x in numbers[:n]], dtype=object)


def _oris(rng: np.random.Generator, county: np.ndarray) -> np.ndarray:
    """'TX' + 3-digit county number + agency (0000 sheriff, 0100.. police departments)."""
    numbers = {c.upper(): f"{no:03d}" for c, no in _COUNTY_NUMBER.items()}
    agency = rng.choice(10, size=len(county), p=_probabilities([45, 25, 10, 6, 4, 3, 3, 2, 1, 1]))
    fallback = rng.integers(1, 255, len(county))
    return np.array(
        [f"TX{numbers.get(c, f'{f:03d}')}{a:02d}00" for c, a, f in zip(county, agency, fallback)],
        dtype=object,
    )


def _choice(rng: np.random.Generator, options: tuple, n: int) -> np.ndarray:
    values = np.array([o for o, _ in options], dtype=object)
    return values[rng.choice(len(values), size=n, p=_probabilities([w for _, w in options]))]


def _add_person_columns(
    rng: np.random.Generator, entries: pd.DataFrame, person: pd.DataFrame
) -> pd.DataFrame:
    """DPS's view of each child: ASCII upper-case names, M/F sex, NCIC race, a DOB always."""
    people = person.set_index("person_id").loc[entries["dfps_person_id"].unique()]
    m = len(people)
    last = np.array([_dps_name(x) for x in people["last_name"]], dtype=object)
    first = np.array([_dps_name(x) for x in people["first_name"]], dtype=object)
    # DPS knows the child's name even where IMPACT's is junk.
    spare_last = np.array([_dps_name(x) for x in _LAST[_ANGLO]], dtype=object)
    spare_first = np.array([_dps_name(x) for x in _FIRST[(_ANGLO, True)]], dtype=object)
    last = np.where(pd.isna(last), spare_last[rng.integers(0, len(spare_last), m)], last)
    first = np.where(pd.isna(first), spare_first[rng.integers(0, len(spare_first), m)], first)

    code = people["sex"].astype("string").str.strip().str.upper().fillna("").to_numpy(object)
    sex = np.where(np.isin(code, ["M", "MALE"]), "M", np.where(np.isin(code, ["F", "FEMALE"]),
                                                               "F", None))
    unknown = pd.isna(sex)
    sex[unknown] = rng.choice(np.array(["M", "F"], dtype=object), int(unknown.sum()))
    race_code = people["race"].astype("string").str.strip().str.upper()
    race = race_code.map(_NCIC_RACE).fillna("U").to_numpy(dtype=object)

    first_missing = entries.groupby("dfps_person_id")["missing_date"].min().loc[people.index]
    dob = people["dob"].to_numpy(dtype="datetime64[ns]").copy()
    invalid = pd.isna(dob) | (dob > first_missing.to_numpy(dtype="datetime64[ns]"))
    made_up = first_missing.to_numpy(dtype="datetime64[D]").astype("int64") - np.floor(
        rng.uniform(13 * _YEAR, 17 * _YEAR, m)
    ).astype("int64")
    dob[invalid] = _dates(made_up)[invalid]

    dps = pd.DataFrame(
        {"dfps_person_id": people.index.to_numpy(), "last_name": last, "first_name": first,
         "dob": dob, "sex": sex, "race": race}
    )
    return entries.merge(dps, on="dfps_person_id", how="left")
