"""Common first and last names by name group (combined at random, so no generated person is
real), how they are typed without accents, and how DPS spells a name."""

from __future__ import annotations

import re
import unicodedata

import numpy as np

HISPANIC, ANGLO, AFRICAN_AMERICAN, VIETNAMESE = 0, 1, 2, 3
GROUP_SHARES = np.array([0.45, 0.33, 0.19, 0.03])

LAST_NAMES = {
    HISPANIC: (
        "García Martínez Rodríguez Hernández López González Pérez Sánchez Ramírez Torres Flores "
        "Rivera Gómez Díaz Reyes Cruz Morales Ortiz Gutiérrez Chávez Ramos Ruiz Álvarez Mendoza "
        "Castillo Jiménez Moreno Romero Herrera Medina Aguilar Vásquez Castro Guerrero Salinas "
        "Garza Treviño Cantú Villarreal Peña Muñoz Zamora Cavazos Saldaña Ibarra Delgado "
        "Contreras Luna Soto Vega Rosales Espinoza Longoria Guajardo Ybarra Saenz Cisneros"
    ).split() + ["De León", "De La Cruz", "De La Rosa"],
    ANGLO: (
        "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
        "Martin Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott "
        "Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker "
        "Evans Edwards Collins Stewart Morris Murphy Cook Rogers Cooper Reed Bailey Bell Kelly "
        "Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray Hughes Price Sanders Myers "
        "Long Ross Foster Powell Jenkins Perry Russell Sullivan O'Brien O'Neal McDonald McKinney"
    ).split() + ["St. John", "Van Dyke"],
    AFRICAN_AMERICAN: (
        "Washington Jefferson Jackson Johnson Williams Brown Jones Davis Harris Robinson Thomas "
        "Taylor Moore Walker White Thompson Lewis Wilson Clark Hall Young Allen Wright Green "
        "Mitchell Carter Coleman Jenkins Simmons Banks Booker Freeman Gaines Mosley Pierce Dorsey "
        "Mack Battle Hawkins Franklin Graham Holmes Bryant Henderson Sims Mayfield Ellis Hamilton "
        "Joseph Pierre"
    ).split(),
    VIETNAMESE: (
        "Nguyễn Trần Lê Phạm Huỳnh Hoàng Phan Vũ Võ Dang Bùi Do Hồ Ngô Duong Lý Trương Dinh Lâm "
        "Mai Tô Cao"
    ).split(),
}
FIRST_NAMES = {  # (group, is_female) -> names
    (HISPANIC, False): (
        "José Juan Luis Carlos Jesús Miguel Ángel Diego Jorge Alejandro Adrián Daniel David "
        "Antonio Fernando Francisco Javier Manuel Mateo Santiago Sebastián Emiliano Iker Gael "
        "Julián Joaquín Eduardo Ricardo Roberto Isaac Christopher Anthony Jonathan Kevin Brandon "
        "Adriel Ezequiel Matías Andrés Rubén"
    ).split(),
    (HISPANIC, True): (
        "María Guadalupe Sofía Valeria Camila Isabella Ximena Natalia Daniela Mariana Andrea "
        "Gabriela Alejandra Ana Lucía Victoria Fernanda Jimena Itzel Yesenia Yadira Esmeralda "
        "Jazmín Brenda Karla Leslie Ashley Emily Génesis Aaliyah Abigail Mía Valentina Renata "
        "Paola Marisol Araceli Nayeli Citlali Jocelyn"
    ).split(),
    (ANGLO, False): (
        "James John Robert Michael William David Joseph Thomas Christopher Daniel Matthew Andrew "
        "Joshua Ethan Noah Liam Mason Logan Jacob Tyler Caleb Wyatt Hunter Austin Dylan Cody "
        "Colton Brayden Jackson Aiden Gavin Hayden Landon Cole Blake Garrett Travis Dustin Bryce "
        "Kaden"
    ).split(),
    (ANGLO, True): (
        "Emma Olivia Ava Sophia Isabella Mia Emily Madison Abigail Hannah Elizabeth Sarah Jessica "
        "Ashley Taylor Brooklyn Kaylee Haley Alyssa Lauren Megan Brittany Chloe Addison Harper "
        "Avery Ella Grace Lily Zoey Kayla Savannah Paige Destiny Cheyenne Makayla Jordan Morgan "
        "Katelyn Rylee"
    ).split(),
    (AFRICAN_AMERICAN, False): (
        "Jamal Darnell DeShawn Malik Jaylen Jalen Terrell Tyrone Marcus Andre Darius Isaiah "
        "Elijah Jeremiah Xavier Cameron Jordan Trevon Kendrick Jaden Jayden Demarcus Keshawn "
        "Tremaine Devontae Zion Josiah Micah Kameron D'Andre Ja'Marcus Quentin Reginald Cedric "
        "Antwan Kobe Amari Bryson Khalil Omari"
    ).split(),
    (AFRICAN_AMERICAN, True): (
        "Aaliyah Imani Jasmine Destiny Diamond Tiana Kiara Jada Nia Ebony Aniyah Makayla Brianna "
        "Taniya Keisha Tamika LaToya Shanice Jazmine Amari Kennedy Londyn Zaria Janiyah Ke'Asia "
        "Ta'Niyah Nevaeh Trinity Essence Dominique Raven Kayla Asia Alexis Arianna Skylar Laila "
        "Harmony A'Niyah"
    ).split(),
    (VIETNAMESE, False): (
        "Minh Huy Khang Bảo Duc Quang Phúc Tuấn Nam Long Thành Hiếu Kevin Tony Vincent Andrew "
        "Brian Peter Danny Jimmy"
    ).split(),
    (VIETNAMESE, True): (
        "Anh Linh Ngọc Thảo Trang Vy Phương Hương Mai Lan Tiffany Jennifer Vivian Christine "
        "Michelle Amy Nancy Kim Jenny Tina"
    ).split(),
}
# Share of accented names typed without their accents, by group.
_ACCENTS_DROPPED = {HISPANIC: 0.45, ANGLO: 0.0, AFRICAN_AMERICAN: 0.0, VIETNAMESE: 0.35}


def ascii_fold(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def choose_names(
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
        chosen[drop] = [ascii_fold(x) for x in chosen[drop]]
        out[mask] = chosen
    return out


_NOT_NAME_CHAR = re.compile(r"[^A-Z '\-]")
_SPACES = re.compile(r" {2,}")


def dps_name(value: object) -> str | None:
    """DPS spells a name in upper-case ASCII: 'García-López' -> 'GARCIA-LOPEZ'."""
    if not isinstance(value, str):
        return None
    text = _SPACES.sub(" ", _NOT_NAME_CHAR.sub(" ", ascii_fold(value).upper())).strip()
    return text or None
