"""One log file per run under logs/to_dps/ or logs/from_dps/, next to Dagster's own event log.

Lines carry counts, paths and checksums only: never a child's name or date of birth. A step that
fails writes why (see `core.errors.failure_text`), so a run's file tells how it ended."""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any, TypeVar

from dagster import AssetCheckExecutionContext, AssetExecutionContext

from dps_assets.core.errors import chain_failure_text
from dps_assets.quarters import FiscalQuarter
from dps_assets.resources.local_files import FILE_MODE, LocalFilesResource, run_stamp

StepContext = AssetExecutionContext | AssetCheckExecutionContext
Step = TypeVar("Step", bound=Callable[..., Any])


def run_started_at(context: StepContext) -> datetime:
    op = context.op_execution_context
    record = op.instance.get_run_record_by_id(op.run_id)
    if record is None or record.create_timestamp is None:
        return datetime.now(timezone.utc)
    return record.create_timestamp.astimezone(timezone.utc)


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
        self.path = files.log_folder(half) / f"{quarter.tag}_{this_run_stamp(context)}.log"

    def info(self, message: str) -> None:
        self._log.info(message)
        self._append("INFO", message)

    def warning(self, message: str) -> None:
        self._log.warning(message)
        self._append("WARNING", message)

    def error(self, message: str) -> None:
        self._log.error(message)
        self._append("ERROR", message)

    def failed(self, exc: BaseException) -> None:
        """Only into the file: Dagster records the failure itself."""
        self._append("ERROR", f"failed: {chain_failure_text(_chain(exc))}")

    def _append(self, level: str, message: str) -> None:
        moment = datetime.now(timezone.utc).isoformat(timespec="seconds")
        line = f"{moment} {level:<7} {self._step}: {message}\n".encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


def failures_logged(half: str) -> Callable[[Step], Step]:
    """For an asset's compute function, under its @asset: when the step raises, the run's log file
    says why before Dagster records the failure. The step needs the `local_files` resource."""

    def decorate(step: Step) -> Step:
        def log_failure(context: AssetExecutionContext, kwargs: dict[str, Any], exc: Exception) -> None:
            quarter = FiscalQuarter.from_partition_key(context.partition_key)
            RunLog(context, kwargs["local_files"], half, quarter).failed(exc)

        if inspect.isgeneratorfunction(step):  # a multi-asset yielding its outputs
            @functools.wraps(step)
            def logged_outputs(context: AssetExecutionContext, *args: Any, **kwargs: Any) -> Iterator[Any]:
                try:
                    yield from step(context, *args, **kwargs)
                except Exception as exc:
                    log_failure(context, kwargs, exc)
                    raise

            return logged_outputs  # type: ignore[return-value]

        @functools.wraps(step)
        def logged(context: AssetExecutionContext, *args: Any, **kwargs: Any) -> Any:
            try:
                return step(context, *args, **kwargs)
            except Exception as exc:
                log_failure(context, kwargs, exc)
                raise

        return logged  # type: ignore[return-value]

    return decorate


def _chain(exc: BaseException) -> list[tuple[str, str]]:
    chain: list[tuple[str, str]] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 10:
        chain.append((type(current).__name__, str(current)))
        current = current.__cause__
    return chain
