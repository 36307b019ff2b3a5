"""The second kind of input the parser and matching benches run on (issue 18 §5), beside the one
whose names are ASCII and whose DPS entries come in NIC order: names as spec §4 allows DPS to
send them (UTF-8: a fifth of the last names and a quarter of the first names accented, one in ten
of those decomposed, NFD, as some systems send them), children with 1 to 20 runaway events (or
entries) each, and DPS's entries in no particular order."""

from __future__ import annotations

import unicodedata

import numpy as np

KINDS = ("ascii", "accented")
ACCENTED_LAST_NAMES = 0.20
ACCENTED_FIRST_NAMES = 0.25
DECOMPOSED = 0.10  # of the accented values
MOST_PER_CHILD = 20
# Accented first names the synthetic lists lack.
_MORE_FIRST_NAMES = ("Zoë", "Noël", "Chloë", "Renée", "Inés", "Raúl", "Begoña", "Françoise")


def _pools(names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """DPS's ASCII spellings of `names`, and the accented ones upper-cased (NFC)."""
    from dps_assets.embedded.synthetic.names import dps_name

    plain = sorted({dps_name(n) for n in names if dps_name(n)})
    accented = sorted({unicodedata.normalize("NFC", " ".join(n.upper().split())) for n in names if not n.isascii()})
    return np.array(plain, dtype=object), np.array(accented, dtype=object)


def _names(rng: np.random.Generator, rows: int, names: list[str], accented_share: float) -> np.ndarray:
    plain, accented = _pools(names)
    chosen = plain[rng.integers(0, len(plain), rows)]
    where = np.flatnonzero(rng.random(rows) < accented_share)
    chosen[where] = accented[rng.integers(0, len(accented), len(where))]
    decomposed = where[rng.random(len(where)) < DECOMPOSED]
    chosen[decomposed] = [unicodedata.normalize("NFD", n) for n in chosen[decomposed]]
    return chosen


def last_names(rng: np.random.Generator, rows: int) -> np.ndarray:
    from dps_assets.embedded.synthetic.names import LAST_NAMES

    return _names(rng, rows, [n for group in LAST_NAMES.values() for n in group], ACCENTED_LAST_NAMES)


def first_names(rng: np.random.Generator, rows: int) -> np.ndarray:
    from dps_assets.embedded.synthetic.names import FIRST_NAMES

    names = [n for group in FIRST_NAMES.values() for n in group] + list(_MORE_FIRST_NAMES)
    return _names(rng, rows, names, ACCENTED_FIRST_NAMES)


def children(rng: np.random.Generator, rows: int, first_id: int) -> np.ndarray:
    """`rows` child ids from `first_id` on, each child on 1 to 20 rows, in random order."""
    counts = rng.integers(1, MOST_PER_CHILD + 1, rows)  # more than enough children
    cut = int(np.searchsorted(np.cumsum(counts), rows)) + 1
    ids = np.repeat(np.arange(first_id, first_id + cut, dtype=np.int64), counts[:cut])[:rows]
    return rng.permutation(ids)
