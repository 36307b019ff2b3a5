"""`dps-as-service UNIT COMMAND [ARGUMENT ...]`: run a command by hand as a unit's process runs.

For the commands an operator runs outside the units (the pools' limits, `dagster instance
migrate`, `dps-launch`), as root (sudo):

    sudo /opt/dps-exchange/.venv/bin/dps-as-service code dps-launch sending FY2027-Q1
    sudo /opt/dps-exchange/.venv/bin/dps-as-service daemon dagster instance concurrency set dps_folder 1

It reads the installed unit (`/etc/systemd/system/dps-exchange-<UNIT>.service` and its drop-ins)
and starts COMMAND the way systemd starts that unit's process: as its `User=` and `Group=`, with
its `UMask=` (0077) and `WorkingDirectory=`, with only the variables of its `Environment=` and
`EnvironmentFile=` lines (none of the caller's), and with the secrets of its `LoadCredential=`
lines as environment variables, read from the credential files by root and handed to COMMAND
alone: never on a command line, through a shell or in a file. A launch therefore runs with the
code server's secrets (`code`: a run started from the command line executes in this process), an
instance command with the instance's password alone (`daemon`).

Like `runuser`, not `systemd-run`: COMMAND runs in the caller's terminal and session (Ctrl-C
stops it), outside the unit's sandbox, which only systemd can set up. A name without a `/` is
looked up in the virtualenv's `bin/` first. Only the standard library, as the units' entry point."""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from dps_assets.service.credentials import CredentialError, credential_value
from dps_assets.service.units import UNIT_DIR, Unit, under

SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"  # what systemd gives a service
UNIT_PREFIX = "dps-exchange-"


class AsServiceError(Exception):
    """Why the command cannot be started as the unit's process, in a sentence."""


def unit_name(name: str) -> str:
    """`code` -> `dps-exchange-code.service`; a full unit name is kept."""
    name = name if name.startswith(UNIT_PREFIX) else f"{UNIT_PREFIX}{name}"
    return name if name.endswith(".service") else f"{name}.service"


def service_environment(unit: Unit, root: Path, account: pwd.struct_passwd, bin_dir: Path) -> dict[str, str]:
    """What the unit's process would hold, plus the variables systemd sets for a `User=`."""
    environment = {"PATH": f"{bin_dir}:{SYSTEMD_PATH}", "HOME": account.pw_dir, "USER": account.pw_name,
                   "LOGNAME": account.pw_name, "SHELL": account.pw_shell}
    if "TERM" in os.environ:
        environment["TERM"] = os.environ["TERM"]
    environment.update(unit.environment(root))
    for name, path in unit.credentials().items():
        file = under(root, path)
        if not file.exists():
            raise AsServiceError(f"{unit.name}: its credential {name} ({path}) is missing")
        try:
            environment[name] = credential_value(file, name)
        except (CredentialError, OSError) as exc:
            raise AsServiceError(str(exc)) from None
    return environment


def resolve_command(command: str, path: str) -> str:
    if "/" in command:
        return command
    found = shutil.which(command, path=path)
    if found is None:
        raise AsServiceError(f"{command}: not found in {path}")
    return found


def become(account: pwd.struct_passwd, group: str | None) -> None:
    """Switch to the unit's user and group (and the user's other groups), as `runuser` does."""
    if os.geteuid() == account.pw_uid:
        return
    if os.geteuid() != 0:
        raise AsServiceError(f"run it as root (sudo): it starts the command as {account.pw_name}")
    gid = grp.getgrnam(group).gr_gid if group else account.pw_gid
    os.initgroups(account.pw_name, gid)
    os.setgid(gid)
    os.setuid(account.pw_uid)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="dps-as-service", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/"),
                        help="the site is installed under this folder (tests); default /")
    parser.add_argument("--user", help="with --root: run as this user instead of the unit's User= (tests)")
    parser.add_argument("unit", help="code, daemon, webserver, webserver-readonly (or a unit's full name)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command and its arguments")
    args = parser.parse_args(argv)
    if not args.command:
        parser.error("name the command to run")
    if args.user and args.root == Path("/"):
        parser.error("--user is for a site installed under --root (tests): on a host the unit says who")
    try:
        unit = Unit.read(under(args.root, UNIT_DIR), unit_name(args.unit))
        user = args.user or unit.setting("User") or "root"
        account = pwd.getpwnam(user)
        environment = service_environment(unit, args.root, account, Path(sys.executable).parent)
        command = [resolve_command(args.command[0], environment["PATH"]), *args.command[1:]]
        directory = unit.setting("WorkingDirectory")
        become(account, None if args.user else unit.setting("Group"))
        os.umask(int(unit.setting("UMask", "0022") or "0022", 8))
        if directory:
            os.chdir(under(args.root, directory.removeprefix("-")))
    except (AsServiceError, FileNotFoundError, KeyError, PermissionError) as exc:
        sys.exit(f"dps-as-service: {exc}")
    os.execve(command[0], command, environment)


if __name__ == "__main__":
    main()
