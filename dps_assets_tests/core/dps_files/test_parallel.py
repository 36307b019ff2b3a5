import threading

import pytest

from dps_assets.core.dps_files import parallel
from dps_assets.core.dps_files.parallel import in_parallel


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(parallel, "threads", lambda: 2)


def test_the_calls_run_at_once_and_their_results_come_in_order(two_cores):
    both_started = threading.Barrier(2, timeout=30)  # one after the other, the first would wait for ever

    def call(result):
        both_started.wait()
        return result

    assert in_parallel(lambda: call("a"), lambda: call("b"), lambda: "c") == ["a", "b", "c"]


def test_the_first_failure_in_order_raises_once_every_call_has_ended(two_cores):
    ended = []

    def fails(message, then=None):
        if then:
            then.wait(timeout=30)
        ended.append(message)
        raise ValueError(message)

    late = threading.Event()
    with pytest.raises(ValueError, match="first"):
        in_parallel(lambda: fails("first", then=late), lambda: late.set() or fails("second"))
    assert sorted(ended) == ["first", "second"]


def test_small_work_runs_one_call_after_another_in_the_calling_thread(two_cores):
    caller = threading.current_thread()
    assert in_parallel(threading.current_thread, threading.current_thread, worth_it=False) == [caller, caller]


def test_threads_are_the_cores_at_most_four():
    assert 1 <= parallel.threads() <= parallel.MOST_THREADS == 4
