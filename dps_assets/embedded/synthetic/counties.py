"""Texas counties and their DFPS regions (real), how the agency spells a few of them, their
populations as weights, and the county lookup table (`cnty_reg_tableau`)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from dps_assets.embedded.synthetic.names import ascii_fold
from dps_assets.embedded.synthetic.random_draws import pick

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


def county_key(name: str) -> str:
    """The pipeline's comparison key: upper case, trailing word COUNTY dropped, A-Z only."""
    return _NOT_LETTER.sub("", _COUNTY_SUFFIX.sub("", ascii_fold(name).upper().strip()))


def _county_numbers() -> dict[str, int]:
    """Texas county number (1..254, alphabetical), as used in ORIs: Travis -> 227."""
    ordered = sorted(TEXAS_COUNTIES, key=county_key)
    return {county: i + 1 for i, county in enumerate(ordered)}


COUNTY_NAMES = np.array(sorted(TEXAS_COUNTIES, key=county_key), dtype=object)
COUNTY_WEIGHTS = np.array([_POPULATION_K.get(c, _SMALL_COUNTY) for c in COUNTY_NAMES])
COUNTY_WEIGHTS = COUNTY_WEIGHTS / COUNTY_WEIGHTS.sum()
COUNTY_NUMBER = _county_numbers()
_CANONICAL_BY_KEY = {county_key(c): c for c in TEXAS_COUNTIES}


def county_lookup_frame() -> pd.DataFrame:
    """All 254 counties with their region, a few spelled the way the agency's table has them."""
    names = [_LOOKUP_SPELLINGS.get(c, c) for c in COUNTY_NAMES]
    frame = pd.DataFrame(
        {"cnty_name": names, "sub_reg": [TEXAS_COUNTIES[c] for c in COUNTY_NAMES]}
    )
    return frame.sort_values("cnty_name", kind="stable").reset_index(drop=True)


def county_spellings(rng: np.random.Generator, county: np.ndarray, share: float) -> np.ndarray:
    """County names as IMPACT rows spell them: canonical, with a few variants."""
    names = COUNTY_NAMES[county].copy()
    n = len(names)
    for i in pick(rng, n, share):
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


def canonical_county(name: object) -> str:
    """The canonical Texas county for an IMPACT spelling; DPS writes it in upper case."""
    canonical = _CANONICAL_BY_KEY.get(county_key(str(name)), str(name).strip())
    return canonical.upper()
