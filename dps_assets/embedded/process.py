"""Start a helper server as a child process and wait until it says it is ready.

The child announces readiness with one line on stdout (by default one starting with `READY`,
e.g. `READY port=40123`); the parent blocks on reading that line, with a timeout, and never
sleeps. Both pipes are drained for the child's whole life by daemon threads, so a chatty child
never blocks on a full pipe; the last lines of stderr are kept for error messages."""

from __future__ import annotations

import collections
import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Literal

_EOF = object()
_STDERR_LINES_KEPT = 200


class ProcessStartError(RuntimeError):
    """The child exited, or did not say it was ready in time. The message holds its stderr."""


class ReadyProcess:
    """A running child that has announced readiness. Obtain it from `start_ready_process()`."""

    def __init__(self, name: str, process: subprocess.Popen[str]):
        self.name = name
        self.process = process
        self.ready_line = ""
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES_KEPT)
        self._lines: queue.Queue[object] = queue.Queue()
        self._ready_stream_lines: list[str] = []
        self._threads: list[threading.Thread] = []

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def fields(self) -> dict[str, str]:
        """`key=value` pairs of the ready line: `READY port=40123` gives `{"port": "40123"}`."""
        return dict(re.findall(r"(\w+)=(\S+)", self.ready_line))

    def ready_stream_lines(self) -> list[str]:
        """Every line the child has written so far on its ready stream (stdout by default),
        from its first line."""
        while True:
            try:
                item = self._lines.get_nowait()
            except queue.Empty:
                return list(self._ready_stream_lines)
            if item is not _EOF:
                self._ready_stream_lines.append(str(item))

    def stderr_tail(self) -> str:
        """The last lines the child wrote to stderr (the stderr pipe is read as it comes)."""
        return "".join(self._stderr_tail)

    def stop(self, timeout_s: float = 10) -> int | None:
        """SIGTERM to the child's process group (the child and whatever it started: a webserver,
        a daemon, a code server, run workers), up to `timeout_s` for the child to end, then
        SIGKILL to the group, so that nothing it started outlives it. Returns the child's exit
        code. Idempotent."""
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            pass
        self._signal_group(signal.SIGKILL)  # the child if it still runs, and anything left in its group
        self.process.wait()
        for thread in self._threads:
            thread.join(timeout=2)
        if not any(thread.is_alive() for thread in self._threads):
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
        return self.process.returncode

    def __enter__(self) -> ReadyProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)  # the child leads its own group (start_ready_process)
        except (ProcessLookupError, PermissionError):
            pass  # the group is empty: everything in it has ended

    def _pump(self, stream: IO[str], to_queue: bool, to_tail: bool) -> None:
        try:
            for line in stream:
                if to_tail:
                    self._stderr_tail.append(line)
                if to_queue:
                    self._lines.put(line)
        except (OSError, ValueError):
            pass
        finally:
            if to_queue:
                self._lines.put(_EOF)

    def _wait_ready(self, pattern: re.Pattern[str], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            try:
                item = self._lines.get(timeout=max(remaining, 0))
            except queue.Empty:
                self._fail(f"did not report ready within {timeout_s:g} s")
            if item is _EOF:
                self._fail("exited before reporting ready")
            line = str(item)
            self._ready_stream_lines.append(line)
            if pattern.search(line):
                self.ready_line = line.strip()
                return

    def _fail(self, why: str) -> None:
        code = self.stop(timeout_s=5)
        stderr = self.stderr_tail().strip() or "(nothing on stderr)"
        args = " ".join(map(str, self.process.args))  # type: ignore[arg-type]
        raise ProcessStartError(f"{self.name} {why} (exit code {code}); command: {args}\n{stderr}")


def start_ready_process(
    argv: Sequence[str | os.PathLike[str]],
    *,
    name: str,
    ready_pattern: str = r"^READY\b",
    ready_stream: Literal["stdout", "stderr"] = "stdout",
    timeout_s: float = 30,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    umask: int = -1,
) -> ReadyProcess:
    """Spawn `argv` and block until a line on `ready_stream` matches `ready_pattern` (regex,
    `re.search`). Raises `ProcessStartError` (with the child's stderr) if the child exits first or
    `timeout_s` passes; the child is then stopped. `env` replaces the environment when given;
    `umask`, when not negative, is the child's (and so its children's) umask."""
    process = subprocess.Popen(
        [str(a) for a in argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        bufsize=1,
        env=dict(env) if env is not None else None,
        cwd=Path(cwd) if cwd is not None else None,
        umask=umask,
        # Its own process group, which `stop` signals: whatever the child starts stops with it.
        # (It also receives no Ctrl-C from a terminal: the parent stops it.)
        start_new_session=True,
    )
    child = ReadyProcess(name, process)
    assert process.stdout is not None and process.stderr is not None
    for stream, label in ((process.stdout, "stdout"), (process.stderr, "stderr")):
        thread = threading.Thread(
            target=child._pump,
            args=(stream, label == ready_stream, label == "stderr"),
            name=f"{name}-{label}",
            daemon=True,
        )
        thread.start()
        child._threads.append(thread)
    try:
        child._wait_ready(re.compile(ready_pattern), timeout_s)
    except BaseException:
        child.stop(timeout_s=5)
        raise
    return child

