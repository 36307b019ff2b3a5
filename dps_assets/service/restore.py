"""`deploy/restore -i IDENTITY [--files-only | --database-only] [--root DIR] BACKUP`: put back a
backup made by deploy/backup, as root, with the units stopped (docs/operations.md, "Backup and
restore").

1. checks the backup's files against its SHA256SUMS (a changed or truncated file is refused);
2. the files: `age --decrypt` straight into `tar --extract` under / (or DIR), owners (by name) and
   modes as they were; files the backup does not hold are left alone;
3. the database: `age --decrypt` straight into `pg_restore --clean --if-exists --single-transaction
   --exit-on-error`, into the database the (restored) /etc/dps-exchange/dps-exchange.env names,
   as its owner with the (restored) credential: the database must exist (on a new host: the
   install's database step first). Nothing decrypted is written to disk.

IDENTITY is the backup key's private key (age's identity file; age asks for its passphrase if it
has one), brought to the host for the restore only. On a host (no --root) the restore refuses to
run while a dps-exchange service is active."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from dps_assets.service.backup import DATABASE_FILE, FILES_FILE, MANIFEST, BackupError, database_client, sha256


def check(backup: Path) -> None:
    manifest = backup / MANIFEST
    if not manifest.is_file():
        raise BackupError(f"{backup} has no {MANIFEST}: not a backup, or an unfinished one")
    for line in manifest.read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        if name not in (DATABASE_FILE, FILES_FILE) or not (backup / name).is_file():
            raise BackupError(f"{backup}: {MANIFEST} names {name!r}, which is not there")
        if sha256(backup / name) != digest:
            raise BackupError(f"{backup / name} is not the file the backup wrote (its SHA-256 differs)")


def decrypt_into(identity: Path, encrypted: Path, command: list[str], env: dict[str, str] | None) -> None:
    """`age --decrypt` of `encrypted` straight into `command`'s standard input."""
    with tempfile.TemporaryFile() as errors:
        age = subprocess.Popen(["age", "--decrypt", "--identity", str(identity), str(encrypted)],
                               stdout=subprocess.PIPE, stderr=errors)
        assert age.stdout is not None
        done = subprocess.run(command, stdin=age.stdout, capture_output=True, text=True, env=env)
        age.stdout.close()
        status = age.wait()
        errors.seek(0)
        said = errors.read().decode(errors="replace").strip()[-2000:]
    if status != 0 and done.returncode == 0 or status > 0:
        raise BackupError(f"age could not decrypt {encrypted.name} with {identity}: {said}")
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def active_units() -> list[str]:
    if shutil.which("systemctl") is None:
        return []
    listed = subprocess.run(["systemctl", "list-units", "--state=active", "--plain", "--no-legend",
                             "dps-exchange-*.service"], capture_output=True, text=True)
    return [line.split()[0] for line in listed.stdout.splitlines() if line.strip()]


def restore(root: Path, identity: Path, backup: Path, files: bool, database: bool) -> None:
    check(backup)
    if root == Path("/") and (running := active_units()):
        raise BackupError(f"stop these first (docs/operations.md, \"Backup and restore\"): {' '.join(running)}")
    if files:
        owners = ["--same-owner", "--preserve-permissions"] if os.geteuid() == 0 else ["--preserve-permissions"]
        decrypt_into(identity, backup / FILES_FILE, ["tar", "--extract", "--file=-", f"--directory={root}", *owners],
                     None)
        print(f"restored the files of {backup} under {root}")
    if database:
        with database_client(root) as env:
            decrypt_into(identity, backup / DATABASE_FILE,
                         ["pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
                          "--no-password", f"--dbname={env['PGDATABASE']}"], env)
            print(f"restored the instance's database {env['PGDATABASE']} on {env['PGHOST']}:{env['PGPORT']}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="deploy/restore", description=__doc__.splitlines()[0],
                                     epilog="\n".join(__doc__.splitlines()[2:]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-i", "--identity", type=Path, required=True, help="the backup key's private key (age)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--files-only", action="store_true", help="the files, not the database")
    only.add_argument("--database-only", action="store_true", help="the database, not the files")
    parser.add_argument("--root", type=Path, default=Path("/"), help="the site installed under this folder (tests)")
    parser.add_argument("backup", type=Path, help="the backup's folder, <backups>/<stamp>")
    args = parser.parse_args(argv)
    os.umask(0o077)
    try:
        restore(args.root.resolve(), args.identity, args.backup, not args.database_only, not args.files_only)
    except (BackupError, OSError, ValueError) as exc:
        sys.exit(f"deploy/restore: {exc}")


if __name__ == "__main__":
    main()
