"""Seeded random generators and the few ways the synthetic data draws from them."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def seeded_rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), stream]))


def pick(rng: np.random.Generator, n: int, share: float, minimum: int = 1) -> np.ndarray:
    """Exactly max(minimum, round(share*n)) distinct indices out of n (never more than n)."""
    k = min(n, max(minimum, int(round(share * n))))
    return rng.choice(n, size=k, replace=False) if k else np.empty(0, dtype="int64")


def probabilities(weights: npt.ArrayLike) -> np.ndarray:
    return np.asarray(weights, dtype=float) / np.sum(weights)


def weighted_choice(rng: np.random.Generator, options: tuple, n: int) -> np.ndarray:
    values = np.array([o for o, _ in options], dtype=object)
    return values[rng.choice(len(values), size=n, p=probabilities([w for _, w in options]))]
