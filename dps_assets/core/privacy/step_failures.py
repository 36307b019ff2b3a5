"""What Dagster may record when a step fails.

Dagster stores a failed step's exception whole (message, cause, context) in its event log, prints
it into the compute logs and hands it to the failure alert. Anyone else's exception may quote a
child's name or date of birth (openpyxl's IllegalCharacterError quotes the cell, pandas quotes
the date it could not convert), so a step's unexpected exception is replaced by a `StepFailed`
naming the step, the exception's class and where it was raised; and no exception, ours or not,
reaches Dagster with a cause or a context attached."""

from __future__ import annotations

import traceback
from types import TracebackType
from typing import TypeVar

from dps_assets.core.privacy.errors import ExchangeError, os_error_in, os_reason

Raised = TypeVar("Raised", bound=BaseException)

OUR_PACKAGE = "dps_assets."


class StepFailed(ExchangeError, RuntimeError):
    """A step raised someone else's exception. The message names the step, the exception's
    class, where it was raised and (when the exception says so safely) the file, line, column or
    byte; never the exception's message."""


def recordable_failure(step: str, exc: Exception, skip_modules: tuple[str, ...] = ()) -> ExchangeError:
    """The exception Dagster should record for `exc`, raised by step `step`: our own error as it
    is but cut from its cause and context, anyone else's replaced by a StepFailed. Frames of
    `skip_modules` (the decorator doing the replacing) are not named as where it happened."""
    if isinstance(exc, ExchangeError):
        return detached(exc)
    where = _where(exc.__traceback__, skip_modules)
    details = _safe_details(exc)
    cls = type(exc)
    replacement = StepFailed(
        f"step {step} failed: {cls.__qualname__} ({cls.__module__}) {where}{details}; its message "
        "is not recorded because it may quote a child's data")
    return detached(replacement.with_traceback(exc.__traceback__))


def detached(exc: Raised) -> Raised:
    """`exc` without a cause or a context, so that nothing it was raised from is recorded."""
    exc.__cause__ = None
    exc.__context__ = None
    exc.__suppress_context__ = True
    return exc


def _where(tb: TracebackType | None, skip_modules: tuple[str, ...]) -> str:
    """`raised in openpyxl.cell.cell:218 (check_string), called from
    dps_assets.core.workbooks.rows:53 (write_rows)`: module names and line numbers only."""
    frames = [(f.f_globals.get("__name__", "?"), line, f.f_code.co_name)
              for f, line in traceback.walk_tb(tb) if f.f_globals.get("__name__") not in skip_modules]
    if not frames:
        return "raised"
    raised = frames[-1]
    text = f"raised in {_frame(raised)}"
    if not raised[0].startswith(OUR_PACKAGE):
        ours = [f for f in frames if f[0].startswith(OUR_PACKAGE)]
        if ours:
            text += f", called from {_frame(ours[-1])}"
    return text


def _frame(frame: tuple[str, int, str]) -> str:
    module, line, function = frame
    return f"{module}:{line} ({function})"


def _safe_details(exc: Exception) -> str:
    """What some exceptions tell about the place safely: the reason and path of an
    operating-system error, the exception's own or one it wraps (`disk full (ENOSPC)`, whichever
    library met the full disk); a decoding error's encoding and byte offset; a parser's line and
    column numbers."""
    parts = []
    os_error = os_error_in(exc)
    if os_error is not None:
        parts.append(os_reason(os_error))
        for name in ("filename", "filename2"):
            if getattr(os_error, name, None) is not None:
                parts.append(f"file {getattr(os_error, name)}")
    if isinstance(exc, UnicodeDecodeError | UnicodeEncodeError | UnicodeTranslateError):
        parts.append(f"{getattr(exc, 'encoding', '?')} byte {exc.start}")
    for attribute, label in (("lineno", "line"), ("colno", "column")):
        value = getattr(exc, attribute, None)
        if isinstance(value, int) and not isinstance(value, bool):
            parts.append(f"{label} {value}")
    return f": {', '.join(parts)}" if parts else ""
