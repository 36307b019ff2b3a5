"""Describing a value without quoting it: its length and the kinds of characters it holds.

Errors about children's data say what is wrong with a value's shape ("found 6 characters:
letters and spaces"), never the value: a column may hold someone else's value when a row is
shifted, so no column is safe to quote. Anything else an error quotes (file names, header
names) is capped with `capped`."""

from __future__ import annotations

import re
import unicodedata

# Characters no name, code, county or date holds: control characters (Unicode Cc: C0 with tab
# and line breaks, DEL, C1), lone surrogates (bytes that were not UTF-8, kept by
# surrogateescape), line and paragraph separators, and the non-characters U+FFFE and U+FFFF.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\ufffe\uffff]")

# In the order they are listed.
_CLASSES = (
    "digits", "letters", "spaces", "punctuation", "non-ASCII digits", "non-ASCII letters",
    "other white space", "control characters", "undecodable bytes", "other characters",
)


def _class_of(ch: str) -> str:
    if ch.isascii():
        if ch.isdigit():
            return "digits"
        if ch.isalpha():
            return "letters"
        if ch == " ":
            return "spaces"
        if ch.isprintable():
            return "punctuation"
        return "control characters"
    category = unicodedata.category(ch)
    if category == "Nd":
        return "non-ASCII digits"
    if category.startswith("L"):
        return "non-ASCII letters"
    if "\udc80" <= ch <= "\udcff":
        return "undecodable bytes"  # bytes that were not UTF-8, kept by surrogateescape
    if category in ("Cc", "Cs", "Zl", "Zp"):
        return "control characters"
    if category == "Zs":
        return "other white space"
    return "other characters"


def shape_of(text: str) -> str:
    """`"GARCIA LOPEZ"` -> `"12 characters: letters and spaces"`; `""` -> `"an empty value"`."""
    if not text:
        return "an empty value"
    present = {_class_of(ch) for ch in text}
    kinds = [kind for kind in _CLASSES if kind in present]
    listed = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
    return f"{len(text):,} character{'' if len(text) == 1 else 's'}: {listed}"


def capped(text: str, limit: int = 200) -> str:
    """`text` cut to `limit` characters (the last one an ellipsis) when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
