"""`deploy/backup [--to FOLDER] [--recipients FILE] [--keep N] [--root DIR]`: an encrypted backup of
everything a restore needs, as root (docs/operations.md, "Backup and restore").

One folder per backup, `<to>/<UTC stamp>/` (0700; files 0600, umask 077), holding

- `instance.pgdump.age`: `pg_dump --format=custom` of the instance's database (the ledger: runs,
  event logs, the sensors' cursors), streamed into `age`;
- `files.tar.age`: a tar of /etc/dps-exchange (configuration, environment files, credentials, the
  recipients file), the site's own drop-in of the code server, /var/lib/dps-exchange (DAGSTER_HOME
  and its storage), and what the configuration names: the archive, logs and work folders, the SSH
  key's folder (key and known_hosts); owners and modes kept; streamed into `age`;
- `SHA256SUMS`: the SHA-256 of the two encrypted files, written last (a folder without it is an
  unfinished backup, and is named `<stamp>.partial` until then).

Nothing unencrypted is ever written: both streams go from pg_dump or tar straight into `age`, for
the recipients (age public keys) in the recipients file; the private key that decrypts is kept
apart from the host. The database's password is the installed credential, given to pg_dump in a
0600 password file that is removed at the end, never on a command line. The newest `--keep`
complete backups are kept, older ones removed.

Only the standard library, with the interpreter that runs it (the installed virtualenv's, whose
`dps_assets.config.host_paths` reads the configuration); `--root DIR` is the site installed under
DIR (the tests)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from dps_assets.service.units import CREDENTIALS, ETC, UNIT_DIR, VAR, environment_file, under

ENV_FILE = f"{ETC}/dps-exchange.env"
RECIPIENTS = f"{ETC}/backup-recipients"
BACKUPS = "/var/backups/dps-exchange"
DATABASE_FILE, FILES_FILE, MANIFEST = "instance.pgdump.age", "files.tar.age", "SHA256SUMS"
# The one unit file the site edits (the secrets the code server loads); the others are the checkout's.
SITE_UNIT_FILES = (f"{UNIT_DIR}/dps-exchange-code.service.d/exchange-secrets.conf",)
SYSTEM_FOLDERS = ("var/lib", "var/local", "etc/systemd", "etc/systemd/system", "usr/local")
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}\.\d{6}Z$")


class BackupError(Exception):
    """What stopped a backup or a restore, in a sentence."""


def site_environment(root: Path) -> dict[str, str]:
    path = under(root, ENV_FILE)
    if not path.is_file():
        raise BackupError(f"{ENV_FILE} is missing: is the exchange installed here (deploy/install)?")
    return environment_file(path)


@contextmanager
def database_client(root: Path) -> Iterator[dict[str, str]]:
    """The environment of pg_dump/pg_restore for the instance's database: host, port, database and
    user from the environment file, the owner's password from its credential in a 0600 password
    file (removed on the way out); none of the caller's PG* variables."""
    environment = site_environment(root)
    try:
        connection = {name: environment[f"DAGSTER_PG_{name}"] for name in ("HOST", "PORT", "DB", "USER")}
    except KeyError as missing:
        raise BackupError(f"{ENV_FILE} does not set {missing.args[0]}") from None
    credential = under(root, f"{CREDENTIALS}/DAGSTER_PG_PASSWORD")
    if not credential.is_file():
        raise BackupError(f"{CREDENTIALS}/DAGSTER_PG_PASSWORD is missing")
    password = credential.read_text(encoding="utf-8").strip()
    with tempfile.TemporaryDirectory(prefix="dps-exchange-pg-") as folder:
        passfile = Path(folder, "pgpass")
        fields = [connection["HOST"], connection["PORT"], connection["DB"], connection["USER"], password]
        with os.fdopen(os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(":".join(field.replace("\\", "\\\\").replace(":", "\\:") for field in fields) + "\n")
        yield {**{k: v for k, v in os.environ.items() if not k.startswith("PG")},
               "PGPASSFILE": str(passfile), "PGHOST": connection["HOST"], "PGPORT": connection["PORT"],
               "PGDATABASE": connection["DB"], "PGUSER": connection["USER"], "PGCONNECT_TIMEOUT": "15"}


def site_paths(root: Path) -> list[str]:
    """What the tar holds, relative to the root: the exchange's configuration and state and what
    its configuration names (read with the exchange's own loader), those that exist."""
    environment = site_environment(root)
    config = Path(environment.get("DPS_CONFIG", f"{ETC}/dps_config.yml"))
    config = config if config.is_relative_to(root) and root != Path("/") else under(root, str(config))
    done = subprocess.run([sys.executable, "-m", "dps_assets.config.host_paths", str(config)],
                          capture_output=True, text=True, cwd=tempfile.gettempdir())
    if done.returncode != 0:
        raise BackupError(f"the configuration does not load: {done.stderr.strip()[-2000:]}")
    named: dict[str, object] = json.loads(done.stdout)
    wanted = [ETC, *SITE_UNIT_FILES, VAR, environment.get("DAGSTER_HOME", f"{VAR}/dagster_home")]
    wanted += [str(folder) for folder in named["folders"]] if isinstance(named["folders"], list) else []
    wanted += [str(Path(str(named[key])).parent) for key in ("private_key_file", "known_hosts_file")
               if isinstance(named.get(key), str)]
    paths: list[Path] = []
    for host_path in wanted:
        path = Path(host_path)
        path = path if path.is_relative_to(root) and root != Path("/") else under(root, host_path)
        if path.exists() and not any(path.is_relative_to(kept) for kept in paths):
            paths = [kept for kept in paths if not kept.is_relative_to(path)] + [path]
    return [str(path.relative_to(root)) for path in paths]


def parent_folders(paths: list[str]) -> list[str]:
    """The folders above `paths` that are the site's own (`home/scripts`, say), to be restored with
    their owners and modes too; the system's (`/home`, `/var/lib`, ...) are left out."""
    parents = {str(parent) for path in paths for parent in Path(path).parents if len(parent.parts) >= 2}
    return sorted(parents - set(SYSTEM_FOLDERS))


def encrypt_from(command: list[str], env: dict[str, str] | None, recipients: Path, output: Path,
                 tolerated: int = 0) -> None:
    """`command`'s standard output straight into `age`, for the recipients, into `output`. An exit
    status up to `tolerated` is a warning (tar's 1: a file changed while it was read)."""
    with tempfile.TemporaryFile() as errors:
        producer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env)
        assert producer.stdout is not None
        age = subprocess.run(["age", "--encrypt", "--recipients-file", str(recipients), "--output", str(output)],
                             stdin=producer.stdout, capture_output=True, text=True)
        producer.stdout.close()
        status = producer.wait()
        errors.seek(0)
        said = errors.read().decode(errors="replace").strip()[-2000:]
    if status > tolerated or status < 0:
        raise BackupError(f"{Path(command[0]).name} failed: {said}")
    if said:
        print(f"{Path(command[0]).name}: {said}", file=sys.stderr)
    if age.returncode != 0:
        raise BackupError(f"age failed: {age.stderr.strip()[-2000:]}")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(root: Path, to: Path, recipients: Path, keep: int) -> Path:
    if not recipients.is_file() or not recipients.read_text(encoding="utf-8").strip():
        raise BackupError(f"no recipients in {recipients}: put the backup key's public key (age1…) there")
    paths = site_paths(root)
    to.mkdir(mode=0o700, parents=True, exist_ok=True)
    to.chmod(0o700)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%S.%fZ")
    partial = to / f"{stamp}.partial"
    partial.mkdir(mode=0o700)
    try:
        with database_client(root) as env:
            encrypt_from(["pg_dump", "--format=custom", "--no-password"], env, recipients, partial / DATABASE_FILE)
        encrypt_from(["tar", "--create", "--file=-", f"--directory={root}", "--no-recursion",
                      *parent_folders(paths), "--recursion", *paths], None, recipients,
                     partial / FILES_FILE, tolerated=1)
        manifest = "".join(f"{sha256(partial / name)}  {name}\n" for name in (DATABASE_FILE, FILES_FILE))
        (partial / MANIFEST).write_text(manifest, encoding="utf-8")
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    done = partial.rename(to / stamp)
    print(f"backed up the instance's database and {', '.join('/' + path for path in paths)}\ninto {done}")
    for old in sorted(path for path in to.iterdir() if STAMP.match(path.name))[:-keep]:
        shutil.rmtree(old)
        print(f"removed the older backup {old}")
    return done


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="deploy/backup", description=__doc__.splitlines()[0],
                                     epilog="\n".join(__doc__.splitlines()[2:]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--to", type=Path, help=f"the backups' folder (default {BACKUPS})")
    parser.add_argument("--recipients", type=Path, help=f"the age public keys (default {RECIPIENTS})")
    parser.add_argument("--keep", type=int, default=14, help="how many backups to keep (default 14)")
    parser.add_argument("--root", type=Path, default=Path("/"), help="the site installed under this folder (tests)")
    args = parser.parse_args(argv)
    if args.keep < 1:
        parser.error("--keep must be 1 or more")
    root = args.root.resolve()
    os.umask(0o077)
    try:
        backup(root, args.to or under(root, BACKUPS), args.recipients or under(root, RECIPIENTS), args.keep)
    except (BackupError, OSError) as exc:
        sys.exit(f"deploy/backup: {exc}")


if __name__ == "__main__":
    main()
