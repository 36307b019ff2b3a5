"""The exchange's own errors, and what of a failure may be written where people read it.

An `ExchangeError`'s message names files, lines, columns, configuration keys, quarters and hosts,
never a child's name or date of birth, so it may go into log files and alert emails. Anyone
else's error message may quote data (a driver's conversion error quotes the value it could not
convert), so only its class name is repeated there; the full error stays in Dagster's run."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator

_MAX_CHARS = 400  # per line of any message, and of what one line may quote
_MAX_LINES = 40


def capped(text: str) -> str:
    """`text` with every line cut to `_MAX_CHARS` characters and at most `_MAX_LINES` lines,
    saying how much was cut: a value quoted into a message (a megabyte-long field, a thousand
    errors) must not become a megabyte-long log line or alert."""
    lines = text.splitlines()
    kept = [_capped_line(line) for line in lines[:_MAX_LINES]]
    if len(lines) > _MAX_LINES:
        kept.append(f"… and {len(lines) - _MAX_LINES} more line(s)")
    return "\n".join(kept)


def _capped_line(line: str) -> str:
    if len(line) <= _MAX_CHARS:
        return line
    return f"{line[:_MAX_CHARS]}… ({len(line) - _MAX_CHARS} more characters)"


class ExchangeError(Exception):
    """An error of this pipeline, whose message is safe to log and to email. Its message is
    capped (`capped`) when the error is made, so no code path can build an unbounded one."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(capped(arg) if isinstance(arg, str) else arg for arg in args))


def redact_literals(text: str) -> str:
    """The first line of a driver's message with everything quoted blanked out: drivers quote
    the values they choke on, in single quotes (Oracle, DuckDB) or double quotes (DuckDB's
    conversion errors). A value may hold a quote itself (O'BRIEN), so quoted text is taken as
    wide as it can be: from the first quote to the last one of that kind, or to the end of the
    line when a quote is left open. Later lines (where DuckDB repeats the value) are dropped."""
    line = (text.strip().splitlines() or [""])[0]
    for quote in ("'", '"'):
        first = line.find(quote)
        if first < 0:
            continue
        last = line.rfind(quote)
        rest = line[last + 1:] if last > first else ""
        line = f"{line[:first]}{quote}…{quote}{rest}"
    return line


def _class_names(root: type, module: str | None = None) -> frozenset[str]:
    names, pending = set(), [root]
    while pending:
        cls = pending.pop()
        if module is None or cls.__module__ == module:
            names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return frozenset(names)


def exchange_error_names() -> frozenset[str]:
    """Class names of every ExchangeError subclass defined so far (a run's failure reaches the
    alert sensor as a class name and a message, not as the exception)."""
    return _class_names(ExchangeError)


# Operating-system errors name paths, hosts and ports (a refused connection, a missing folder).
_OS_ERROR_NAMES = _class_names(OSError, module="builtins")


def failure_text(class_name: str, message: str) -> str:
    """One line about a failure for log files and alerts: the first line of our own errors'
    messages, only the class name of anyone else's."""
    if class_name in exchange_error_names() or class_name in _OS_ERROR_NAMES:
        first = (message.strip().splitlines() or [""])[0]
        return f"{class_name}: {_capped_line(first)}" if first else class_name
    return f"{class_name} (its message may quote data and is kept in the Dagster run only)"


def chain_failure_text(chain: list[tuple[str, str]]) -> str:
    """`failure_text` of an error chain given outermost first as (class name, message): the
    outermost error of ours explains best (it names the file or the query), else the root cause."""
    if not chain:
        return "failed"
    ours = exchange_error_names()
    class_name, message = next(((n, m) for n, m in chain if n in ours), chain[-1])
    return failure_text(class_name, message)


# What an operating-system error is called where people read it, by errno: a full disk is
# "disk full" whichever way the system says it, a refusal is "permission denied".
_PLAIN_REASONS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk full: quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only file system",
}


def chained(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then every exception it was raised from or while handling, or holds as an argument
    (XlsxWriter's FileCreateError holds the OSError it met), depth first, each once."""
    pending, seen = [exc], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, current.__context__, *current.args]
        pending.extend(reversed([e for e in linked if isinstance(e, BaseException)]))


def os_error_in(exc: BaseException) -> OSError | None:
    """The operating-system error (one with an errno) that `exc` is or was raised from (`chained`):
    other libraries wrap it (XlsxWriter's FileCreateError; openpyxl, pandas, shutil and zipfile
    raise their own errors from it or while handling it)."""
    return next((e for e in chained(exc) if isinstance(e, OSError) and e.errno is not None), None)


def os_reason(exc: OSError) -> str:
    """`disk full (ENOSPC)`, `permission denied (EACCES)`, `No such file or directory (ENOENT)`:
    the operating system's reason for the error's code, in our words where we have them; never
    the error's own message, which whoever raised it wrote."""
    if exc.errno is None:
        return type(exc).__name__
    code = errno.errorcode.get(exc.errno, str(exc.errno))
    return f"{_PLAIN_REASONS.get(exc.errno) or os.strerror(exc.errno)} ({code})"
