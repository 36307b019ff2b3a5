"""Independent pieces of one step's work, run on the machine's cores at once: numpy lets go of
the GIL while it compares, gathers and sorts, so threads share a file's columns between cores."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# More threads than this only add memory held at once: the work comes in a dozen pieces or so.
MOST_THREADS = 4


def threads() -> int:
    """The threads to use: the cores this process may run on, at most MOST_THREADS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MOST_THREADS, cores))


def in_parallel(*calls: Callable[[], Any], worth_it: bool = True) -> list[Any]:
    """Each call's result, in the calls' order. The calls must not depend on one another; if any
    raises, the first of them in that order raises here once all have ended. `worth_it=False`
    (small work, where starting threads costs more than it saves): one call after another."""
    workers = threads()
    if not worth_it or workers == 1 or len(calls) < 2:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dps-parallel") as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]
