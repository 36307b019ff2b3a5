"""Run a command under two of a systemd unit's settings, as the kernel enforces them without
systemd, then exec it (the process id stays the command's):

    python unit_sandbox.py [--no-new-privileges] [--memory-deny-write-execute] -- COMMAND ...

`--no-new-privileges`: prctl(PR_SET_NO_NEW_PRIVS), what `NoNewPrivileges=yes` sets.
`--memory-deny-write-execute`: prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN) (Linux 6.3+): no
mapping both writable and executable, and none made executable later; systemd's
`MemoryDenyWriteExecute=yes` refuses the same with a seccomp filter. Both hold for every process
the command starts (run workers included). A kernel that refuses either stops the start: a test
that thinks it checked a setting must have checked it.

Run as a script (no import of the project): it is the first thing a unit's process runs."""

from __future__ import annotations

import ctypes
import os
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1


def _prctl(option: int, value: int, what: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        sys.exit(f"unit_sandbox: cannot set {what}: {os.strerror(ctypes.get_errno())}")


def main(argv: list[str]) -> None:
    separator = argv.index("--")
    options, command = argv[:separator], argv[separator + 1:]
    if "--no-new-privileges" in options:
        _prctl(PR_SET_NO_NEW_PRIVS, 1, "no new privileges")
    if "--memory-deny-write-execute" in options:
        _prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, "memory-deny-write-execute (Linux 6.3 or later)")
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
