"""Normalising people's names and county names for exchange and comparison."""

from __future__ import annotations

import re
import unicodedata

_NOT_NAME_CHAR = re.compile(r"[^A-Z '\-]")
_SPACES = re.compile(r" {2,}")
_NOT_LETTER = re.compile(r"[^A-Z]")
# A trailing word COUNTY after a space or a hyphen (spec §5): `Travis-County` is Travis,
# `TravisCounty` is not.
_COUNTY_SUFFIX = re.compile(r"(?:\s+|\s*-\s*)COUNTY\s*$")


def _ascii_upper(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def normalize_person_name(value: object) -> str | None:
    """`Peña` -> `PENA`; anything but A-Z, space, hyphen and apostrophe becomes a space; runs of
    spaces collapse; an empty result is None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = _NOT_NAME_CHAR.sub(" ", _ascii_upper(str(value)))
    text = _SPACES.sub(" ", text).strip()
    return text or None


def county_key(value: object) -> str | None:
    """The key two county names are compared by: folded like a person's name (NFKD, combining
    marks dropped), upper-cased, a trailing word COUNTY after a space or a hyphen dropped,
    every character that is not A-Z removed (`De Witt`, `DEWITT`, `DeWitt County` are one)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = _COUNTY_SUFFIX.sub("", _ascii_upper(str(value)).strip())
    return _NOT_LETTER.sub("", text) or None
