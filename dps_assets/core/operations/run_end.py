"""Why a run failed when none of its steps did: its process was killed, or exited, or Dagster
stopped it. Dagster then records a run failure with no step failure; the reason is in its own
engine events (`Run execution process for … was terminated by signal 9 (SIGKILL).`), which are
read here for the signal or the exit code only; or run monitoring found its worker gone
(instance.run_workers), which the failure's own message says."""

from __future__ import annotations

import re
from collections.abc import Sequence

_SIGNAL = re.compile(r"terminated by signal (\d+) \((\w+)\)")
_EXIT_CODE = re.compile(r"unexpectedly exited with code (-?\d+)")
# Run monitoring's words when the launcher's health check failed: `Detected run worker status
# FAILED: 'the run worker (pid 12 on host h) is gone: no such process'. Marking run … as failed.`
_WORKER_GONE = re.compile(r"Detected run worker status FAILED: "
                          r"'(the run worker \(pid \d+ on host [^)]*\) is gone[^']*)'")
_MAX_CHARS = 300


def run_end_reason(failure_message: str | None, engine_messages: Sequence[str],
                   running_steps: Sequence[str]) -> str:
    """One line for the alert and the run's log file. `engine_messages` are the run's engine
    event messages, oldest first; `running_steps` the steps that started and never finished."""
    during = f" while {', '.join(running_steps)} ran" if running_steps else ""
    if gone := _WORKER_GONE.search(failure_message or ""):
        return (f"the run's worker died{during}: {gone.group(1)[:_MAX_CHARS]}. It was killed (with its code "
                "server, by an operator, or by the operating system when out of memory) or the host restarted; "
                "no step failed. Run monitoring marked the run failed and its pool slots are freed. "
                "Re-execute it from the run's page.")
    for message in reversed(engine_messages):
        if killed := _SIGNAL.search(message):
            number, name = killed.groups()
            return (f"the run was killed{during}: its process was terminated by signal {number} "
                    f"({name}), by an operator or by the operating system (out of memory); no step "
                    "failed. Re-execute it from the run's page.")
        if exited := _EXIT_CODE.search(message):
            return (f"the run's process exited unexpectedly with code {exited.group(1)}{during}; "
                    "no step failed. Re-execute it from the run's page.")
    first = ((failure_message or "").strip().splitlines() or ["no reason given"])[0][:_MAX_CHARS]
    return f"the run ended without a step failure{during}: Dagster says: {first}"
