"""`deploy/install [--root DIR] [--source CHECKOUT] [--uv UV] [--python PYTHON]` and
`deploy/install --finish`: install the exchange on this host, as root, from a checkout.

Every step a root shell can do, idempotent (a second run changes nothing and says so; a file the
site edits or a secret is never overwritten):

1. the system user `dpsexchange` (home /var/lib/dps-exchange, no login shell);
2. /opt/dps-exchange: deploy/, docs/, README.md and requirements-runtime.lock (root's, readable),
   and its virtualenv .venv (root's): the runtime lock's packages, then the exchange's code;
3. /etc/dps-exchange (root:dpsexchange 0750): the two environment files (root, 0600),
   dps_config.yml (root:dpsexchange 0640), credentials/ (root, 0700) with random passwords for the
   instance's two PostgreSQL roles (0600);
4. DAGSTER_HOME with dagster.yaml (dpsexchange's, 0700 and 0600);
5. every file of deploy/systemd/ (units, timers, drop-in folders) into /etc/systemd/system, and the
   health check's polkit rule (deploy/polkit/) into /etc/polkit-1/rules.d where polkitd is installed;
6. the folders the units write (ReadWritePaths=) and the configuration names (archive, logs,
   work, the SSH key's folder) (dpsexchange's, 0700), an empty known_hosts (0600);
7. prints what is left to do by hand, with the site's names: the secrets, the SSH key and DPS's
   host key, the database host's roles and pg_hba.conf, `--finish`, starting the units.

`--finish`, once the database answers: the pools' limits, as dpsexchange with umask 077 and the
instance's credential (dps-as-service), never through a shell's environment.

`--root DIR` installs under DIR instead of / (the tests): nothing is written outside DIR, no user
is created, and owners are set only when run as root and the user (`--user`, default dpsexchange)
exists on this host; the virtualenv's scripts name DIR's Python (it runs from there, not from /)."""

from __future__ import annotations

import argparse
import os
import pwd
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from dps_assets.service.installer import steps
from dps_assets.service.installer.files import Site
from dps_assets.service.installer.todo import todo
from dps_assets.service.units import OPT, SERVICE_USER, VAR

# dps_assets.instance.critical_section.POOLS (this runs before Dagster is installed; the tests
# check that the two agree).
POOLS = ("dps_folder", "report_delivery")
CHECKOUT = Path(__file__).resolve().parents[3]


def service_account(root: Path, user: str) -> tuple[int, int] | None:
    """The service user's ids; on a host (root /) the system user is created if missing."""
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        if root != Path("/"):
            return None
        subprocess.run(["useradd", "--system", "--user-group", "--home-dir", VAR, "--no-create-home",
                        "--shell", "/usr/sbin/nologin", "--comment", "DFPS-DPS exchange", user], check=True)
        print(f"  created the system user {user}")
        account = pwd.getpwnam(user)
    return account.pw_uid, account.pw_gid


def install(args: argparse.Namespace, root: Path) -> None:
    source = args.source.resolve()
    account = service_account(root, args.user)
    site = Site(root, account, chown=os.geteuid() == 0 and account is not None)
    print(f"Installing the exchange from {source} into {root}")
    if not site.chown:
        print(f"  owners not set: {'no user ' + args.user + ' on this host' if account is None else 'not root'}; "
              "everything stays the installing user's")
    steps.code(site, source)
    python = steps.virtualenv(site, source, args.python, args.uv)
    environment = steps.configuration(site, source)
    installed = steps.units(site, source)
    polkit = steps.polkit_rules(site, source)
    steps.write_paths(site, installed)
    steps.dagster_home(site, source, environment)
    paths = steps.host_paths(python, site, environment)
    steps.folders(site, paths)
    print(f"{len(site.changes)} change(s)." if site.changes else
          "Nothing changed: the site already is what this checkout installs.")
    print("\nLeft to do by hand (docs/operations.md, \"Installing, once\"):\n")
    print("\n\n".join(todo(site, installed, paths, polkit)))


def finish(args: argparse.Namespace, root: Path) -> None:
    as_service = [str(Path(root, OPT.lstrip("/"), ".venv", "bin", "dps-as-service"))]
    if root != Path("/"):
        as_service += ["--root", str(root), "--user", args.user]
    for pool in POOLS:
        command = [*as_service, "daemon", "dagster", "instance", "concurrency", "set", pool, "1"]
        print(f"$ {' '.join(command)}", flush=True)
        if subprocess.run(command).returncode != 0:
            sys.exit(f"deploy/install --finish: setting the limit of {pool} failed (above)")
    print("The pools' limits are set: one upload and one delivery at a time.")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="deploy/install", description=__doc__.splitlines()[0],
                                     epilog="\n".join(__doc__.splitlines()[2:]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--finish", action="store_true", help="set the pools' limits (once the database answers)")
    parser.add_argument("--root", type=Path, default=Path("/"), help="install under this folder (tests)")
    parser.add_argument("--source", type=Path, default=CHECKOUT, help="the checkout (default: this one)")
    parser.add_argument("--python", default=sys.executable, help="the Python 3.11 of the virtualenv")
    parser.add_argument("--uv", help="build the virtualenv with this uv instead of pip (the same lock)")
    parser.add_argument("--user", default=SERVICE_USER, help="with --root: the service's user (tests)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if root == Path("/") and args.user != SERVICE_USER:
        parser.error("--user is for --root (tests): the units run as dpsexchange")
    if root == Path("/") and os.geteuid() != 0:
        parser.error("run it as root (sudo): it creates a system user and writes /etc, /opt and /var/lib")
    os.umask(0o022)  # what it installs is readable by the service; private files get their own mode
    try:
        (finish if args.finish else install)(args, root)
    except (steps.InstallError, subprocess.CalledProcessError, OSError) as exc:
        sys.exit(f"deploy/install: {exc}")
