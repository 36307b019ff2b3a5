"""One log file per run under logs/to_dps/ or logs/from_dps/, next to Dagster's own event log.

Lines carry counts, paths and checksums only: never a child's name or date of birth. A step that
fails writes why (see `core.privacy.errors.failure_text`), so a run's file tells how it ended; and what
Dagster records of the failure is the same safe error (`core.privacy.step_failures`), our own
errors as a `dagster.Failure` whose description is their sentence (`said_first`). A run that fails
with no failed step (its process was killed) gets its line from the failure alert
(`record_run_end`)."""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from dagster import (
    AssetCheckExecutionContext,
    AssetExecutionContext,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    Failure,
    MetadataValue,
    RetryRequested,
)

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.operations.alerts import what_to_do
from dps_assets.core.operations.run_end import run_end_reason
from dps_assets.core.privacy.errors import ExchangeError, failure_text, os_error_in, os_reason
from dps_assets.core.privacy.private_files import FILE_MODE
from dps_assets.core.privacy.step_failures import StepFailed, detached, recordable_failure
from dps_assets.resources.local_files import LocalFilesResource, run_stamp

StepContext = AssetExecutionContext | AssetCheckExecutionContext
Step = TypeVar("Step", bound=Callable[..., Any])
# Raised on purpose to steer Dagster (fail with metadata, retry): passed on, only detached.
_DAGSTER_CONTROL = (Failure, RetryRequested)
_FINISHED_STEP = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}


def run_started_at(context: StepContext) -> datetime:
    op = context.op_execution_context
    return _created_at(op.instance, op.run_id)


def _created_at(instance: DagsterInstance, run_id: str) -> datetime:
    record = instance.get_run_record_by_id(run_id)
    if record is None or record.create_timestamp is None:
        return datetime.now(UTC)
    return record.create_timestamp.astimezone(UTC)


def run_log_path(files: LocalFilesResource, half: str, quarter: FiscalQuarter, stamp: str) -> Path:
    return files.log_folder(half) / f"{quarter.tag}_{stamp}.log"


def this_run_stamp(context: StepContext) -> str:
    """Shared by every step of a run, so a run's log and archive folders line up."""
    return run_stamp(context.op_execution_context.run_id, run_started_at(context))


class RunLog:
    """Writes to Dagster's log and appends to this run's log file (each line is one append, so
    steps in separate processes may share the file)."""

    def __init__(self, context: StepContext, files: LocalFilesResource, half: str,
                 quarter: FiscalQuarter):
        op = context.op_execution_context
        self._log = op.log
        self._step = op.op_handle.name
        self.path = run_log_path(files, half, quarter, this_run_stamp(context))

    def info(self, message: str) -> None:
        self._log.info(message)
        self._append("INFO", message)

    def warning(self, message: str) -> None:
        self._log.warning(message)
        self._append("WARNING", message)

    def error(self, message: str) -> None:
        self._log.error(message)
        self._append("ERROR", message)

    def failed(self, exc: ExchangeError) -> None:
        """Only into the file: Dagster records the failure itself."""
        self._append("ERROR", f"failed: {failure_text(type(exc).__name__, str(exc))}")

    def _append(self, level: str, message: str) -> None:
        _append_line(self.path, self._step, level, message)


def _append_line(path: Path, step: str, level: str, message: str) -> None:
    moment = datetime.now(UTC).isoformat(timespec="seconds")
    line = f"{moment} {level:<7} {step}: {message}\n".encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def record_run_end(instance: DagsterInstance, run: DagsterRun, files: LocalFilesResource,
                   failure_message: str | None, half: str | None) -> str:
    """Why `run` failed though none of its steps did (`core.operations.run_end`), appended to the run's log
    file once (an alert tick that is retried does not repeat it) under `half`'s log folder when
    the run has one. Returns the line."""
    engine_messages, started, finished = [], [], set()
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.ENGINE_EVENT:
            engine_messages.append(event.message or "")
        elif event.event_type == DagsterEventType.STEP_START:
            started.append(event.step_key)
        elif event.event_type in _FINISHED_STEP:
            finished.add(event.step_key)
    unfinished = [s for s in started if s is not None and s not in finished]
    reason = run_end_reason(failure_message, engine_messages, unfinished)
    quarter = FiscalQuarter.from_partition_key_or_none(run.tags.get("dagster/partition"))
    if half and quarter:
        try:
            path = run_log_path(files, half, quarter, run_stamp(run.run_id, _created_at(instance, run.run_id)))
            if not (path.is_file() and reason in path.read_text(encoding="utf-8", errors="replace")):
                _append_line(path, "run", "ERROR", reason)
        except OSError as exc:  # the alert still goes out
            return f"{reason} (not written to the run's log file: {os_reason(exc)})"
    return reason


def said_first(error: ExchangeError, log_file: Path | None) -> Failure | ExchangeError:
    """What Dagster is given for a step's recordable error. One of the exchange's own errors
    becomes a `dagster.Failure` whose description is its sentence (the run's page shows it first,
    with the metadata: the error's class, what to do, the run's log file), raised from the error
    (its class and trace follow, for the alert sensor and whoever debugs). A StepFailed (someone
    else's exception) stays as it is: its trace is what there is to read."""
    if isinstance(error, StepFailed):
        return error
    name = type(error).__name__
    sentence = "\n".join([str(error), *getattr(error, "__notes__", ())])
    metadata: dict[str, Any] = {"error": name,
                                "what to do": what_to_do([f"{name}: {(sentence.splitlines() or [''])[0]}"])}
    if log_file is not None:
        metadata["run log file"] = MetadataValue.path(str(log_file))
    failure = Failure(description=sentence, metadata=metadata)
    failure.__cause__, failure.__suppress_context__ = error, True
    return failure


def failures_logged(half: str) -> Callable[[Step], Step]:
    """For an asset's or an asset check's compute function, under its decorator. When the step
    raises, the exception is made safe to record (`core.privacy.step_failures.recordable_failure`: our
    own errors cut from their causes, anyone else's replaced by a StepFailed naming the step and
    the exception's class), the run's log file says why, and then Dagster records it: our own
    errors as a `dagster.Failure` saying their sentence first (`said_first`). The log line needs
    the step's context and `local_files` resource; a step without them is only made safe."""

    def decorate(step: Step) -> Step:
        def recordable(args: tuple[Any, ...], kwargs: dict[str, Any], exc: Exception) -> Exception:
            if isinstance(exc, _DAGSTER_CONTROL):
                return detached(exc)
            failure = recordable_failure(step.__name__, exc, skip_modules=(__name__,))
            context = args[0] if args and isinstance(args[0], StepContext) else None
            local_files = kwargs.get("local_files")
            log_file = None
            # A step of no quarter (the history across quarters) has no run log file of its own.
            if (context is not None and context.op_execution_context.has_partition_key
                    and isinstance(local_files, LocalFilesResource)):
                try:
                    quarter = FiscalQuarter.from_partition_key(context.partition_key)
                    run_log = RunLog(context, local_files, half, quarter)
                    run_log.failed(failure)
                    log_file = run_log.path
                except Exception as log_error:  # noqa: BLE001 - a full disk: Dagster still records the failure
                    os_error = os_error_in(log_error)
                    reason = os_reason(os_error) if os_error else type(log_error).__name__
                    failure.add_note(f"the run's log file was not written: {reason}")
            return said_first(failure, log_file)

        # The replacement is raised after the except block, so Python does not attach the
        # original as its context.
        if inspect.isgeneratorfunction(step):  # a multi-asset yielding its outputs
            @functools.wraps(step)
            def logged_outputs(*args: Any, **kwargs: Any) -> Iterator[Any]:
                try:
                    yield from step(*args, **kwargs)
                    return
                except Exception as exc:  # noqa: BLE001 - any step failure is recorded, then raised
                    failure = recordable(args, kwargs, exc)
                raise failure

            logged_outputs.failures_logged = half  # type: ignore[attr-defined]
            return logged_outputs  # type: ignore[return-value]

        @functools.wraps(step)
        def logged(*args: Any, **kwargs: Any) -> Any:
            try:
                return step(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - any step failure is recorded, then raised
                failure = recordable(args, kwargs, exc)
            raise failure

        logged.failures_logged = half  # type: ignore[attr-defined]
        return logged  # type: ignore[return-value]

    return decorate
