import numpy as np
import pytest

from dps_assets.core.reconciliation.integer_sort import stable_argsort


@pytest.mark.parametrize("bits", [1, 16, 17, 40, 62])  # one pass, one full pass, two, three, four
def test_the_order_is_numpys_stable_argsort(bits):
    rng = np.random.default_rng(bits)
    keys = rng.integers(0, 2**bits, 5_000)
    keys[::3] = keys[1::3][: len(keys[::3])]  # equal keys: kept in position order
    assert (stable_argsort(keys) == np.argsort(keys, kind="stable")).all()


def test_no_keys_and_negative_keys():
    assert stable_argsort(np.zeros(0, dtype=np.int64)).tolist() == []
    with pytest.raises(ValueError, match="non-negative"):
        stable_argsort(np.array([3, -1]))


@pytest.mark.parametrize("odd", [None, "M0000000011", "M00000001\u0663", "N000000001", "m000000001", ""])
def test_nics_are_put_in_the_order_a_stable_sort_of_their_text_gives(odd):
    # By their numbers when every value is M and nine digits, else by their text.
    import pandas as pd

    from dps_assets.core.reconciliation.integer_sort import nic_order

    rng = np.random.default_rng(3)
    nics = np.array([f"M{n:09d}" for n in rng.integers(0, 10**9, 5_000)], dtype=object)
    nics[::7] = nics[1::7][: len(nics[::7])]  # a NIC on two entries: in position order
    if odd is not None:
        nics[17] = odd
    expected = np.argsort(nics, kind="stable")
    assert (nic_order(pd.Series(nics)) == expected).all()
    assert (nic_order(pd.Series(nics[expected])) == np.arange(len(nics))).all()
    assert nic_order(pd.Series([], dtype=object)).tolist() == []
