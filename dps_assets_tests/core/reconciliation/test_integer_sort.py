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
