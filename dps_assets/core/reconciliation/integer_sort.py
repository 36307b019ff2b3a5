"""Sorting integer keys: the matching orders a million events by one packed key, the reports
order their rows by another; DPS's entries are put in NIC order by their NICs' numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

_DIGIT_BITS = 16  # numpy sorts integers of 16 bits or fewer stably by radix sort


def stable_argsort(keys: np.ndarray) -> np.ndarray:
    """Positions that sort non-negative integer `keys`, equal keys in position order: what
    np.argsort(keys, kind="stable") gives. A least-significant-digit radix sort, 16 bits a pass,
    one pass per 16 bits of the largest key (a million keys of 27 bits: two passes, 30 ms against
    100 ms for numpy's timsort of int64)."""
    if not len(keys):
        return np.zeros(0, dtype=np.intp)
    if int(keys.min()) < 0:
        raise ValueError("stable_argsort sorts non-negative keys")
    passes = max(1, -(-int(keys.max()).bit_length() // _DIGIT_BITS))
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    for shift in range(_DIGIT_BITS, passes * _DIGIT_BITS, _DIGIT_BITS):
        digits = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digits, kind="stable")]
    return order


_NIC_DIGITS = 9


def nic_order(nics: pd.Series) -> np.ndarray:
    """Positions that put `nics` in order as a stable sort of their text does. DPS sorts its file
    by NIC, so they usually are in order already; else, when every value is a NIC (M and nine
    digits, spec §4), by a radix sort of their numbers, which order them as their text does (a
    million NICs: 0.1 s against 2 s for sorting their text); else by their text."""
    if nics.is_monotonic_increasing:
        return np.arange(len(nics))
    numbers = _nic_numbers(nics.to_numpy(dtype=object))
    if numbers is None:  # pandas' sort of the text, as before (missing values last)
        return nics.reset_index(drop=True).sort_values(kind="stable").index.to_numpy()
    return stable_argsort(numbers)


def _nic_numbers(values: np.ndarray) -> np.ndarray | None:
    """The number of each NIC, or None if any value is not M and nine ASCII digits."""
    try:
        text = values.astype(f"U{_NIC_DIGITS + 2}")  # a longer value keeps a character past the tenth
    except (TypeError, ValueError):
        return None
    characters = text.view(np.uint32).reshape(len(values), _NIC_DIGITS + 2)
    if not ((characters[:, 0] == ord("M")).all() and (characters[:, -1] == 0).all()):
        return None
    numbers = np.zeros(len(values), dtype=np.int64)
    for column in range(1, _NIC_DIGITS + 1):
        digit = characters[:, column].astype(np.int64) - ord("0")
        if ((digit < 0) | (digit > 9)).any():
            return None
        numbers = numbers * 10 + digit
    return numbers
