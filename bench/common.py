"""Small timing and memory helpers for the bench scripts."""

from __future__ import annotations

import resource
import time
from contextlib import contextmanager


@contextmanager
def measured(label: str):
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<45} {elapsed:8.2f} s   peak RSS so far {peak_mib:7.0f} MiB", flush=True)
