"""What is left to do by hand after the install, with the site's own names and paths: what a root
shell on this host cannot do (the database host's roles and pg_hba.conf, the secrets only their
owners know, DPS's host key) and the two commands that need them first."""

from __future__ import annotations

from pathlib import Path

from dps_assets.service.installer.files import Site
from dps_assets.service.units import CREDENTIALS, ETC, OPT, UNIT_DIR, Unit, environment_file

LOOPBACK = ("127.0.0.1", "localhost", "::1")
PUT_SECRET = (
    "put_secret() {  # one secret, typed at the prompt (docs/service-secrets-and-hardening.md)\n"
    f"     sudo install -o root -g root -m 0600 /dev/null {CREDENTIALS}/$1 &&\n"
    "     sudo sh -c 'IFS= read -rs secret && printf \"%s\" \"$secret\" > \"$1\"' put_secret "
    f"{CREDENTIALS}/$1\n   }}")


POLKITD = ("polkitd is not installed: the health check restarts a hung unit through it "
           "(deploy/polkit/). Install it, then run the install again to put the rule in place:\n"
           "   sudo apt-get install polkitd && sudo deploy/install")


def todo(site: Site, installed: list[Unit], paths: dict[str, object], polkit: bool = True) -> list[str]:
    """Numbered paragraphs, each a step and its exact commands."""
    steps = [step for step in (_secrets(site, installed, paths), _write_paths(installed, paths), _ssh(site, paths),
                               "" if polkit else POLKITD) if step]
    steps += [_database(site), _finish(site), _start(site)]
    return [f"{number}. {step}" for number, step in enumerate(steps, 1)]


def _secrets(site: Site, installed: list[Unit], paths: dict[str, object]) -> str:
    needed = {name: path for unit in installed for name, path in unit.credentials().items()}
    missing = sorted({path for path in needed.values() if not site.path(path).exists()})
    code = next(unit for unit in installed if unit.name == "dps-exchange-code.service")
    unlisted = [name for name in _strings(paths.get("secrets")) if name not in code.credentials()]
    lines = []
    if missing:
        lines += ["The secrets only their owners know (the DBA, DPS, the mail team, Entra ID), one file each:",
                  PUT_SECRET, *(f"put_secret {Path(path).name}" for path in missing)]
    if unlisted:
        drop_in = f"{UNIT_DIR}/dps-exchange-code.service.d/exchange-secrets.conf"
        lines += [f"The configuration names secrets the code server does not load yet: add to {drop_in}",
                  *(f"  LoadCredential={name}:{CREDENTIALS}/{name}" for name in unlisted)]
    return "\n   ".join(lines)


def _write_paths(installed: list[Unit], paths: dict[str, object]) -> str:
    code = next(unit for unit in installed if unit.name == "dps-exchange-code.service")
    writable = [Path(folder) for folder in code.read_write_paths()]
    outside = [folder for folder in _strings(paths.get("folders"))
               if not any(Path(folder).is_relative_to(w) for w in writable)]
    if not outside:
        return ""
    return (f"These configured folders are outside the code server's ReadWritePaths= ({' '.join(map(str, writable))}): "
            f"its runs could not write them. Add them in a drop-in of dps-exchange-code.service: {' '.join(outside)}")


def _ssh(site: Site, paths: dict[str, object]) -> str:
    lines = []
    key, known_hosts = paths.get("private_key_file"), paths.get("known_hosts_file")
    if isinstance(key, str) and not site.path(key).exists():
        lines += ["The SSH key DPS knows the exchange by; its passphrase is DPS_SFTP_KEY_PASSPHRASE's; send DPS "
                  "the .pub file:", f"sudo -u dpsexchange ssh-keygen -t ed25519 -C dfps-dps-exchange -f {key}"]
    if isinstance(known_hosts, str) and site.path(known_hosts).exists() and not site.path(known_hosts).stat().st_size:
        host, port = paths.get("sftp_host"), paths.get("sftp_port")
        lines += ["DPS's host key, pinned (compare the fingerprint with the one DPS gave out of band):",
                  f"ssh-keyscan -p {port} -t ed25519 {host} | sudo -u dpsexchange tee -a {known_hosts}",
                  f"ssh-keygen -lf {known_hosts}"]
    return "\n   ".join(lines)


def _database(site: Site) -> str:
    env = environment_file(site.path(f"{ETC}/dps-exchange.env"))
    readonly = environment_file(site.path(f"{ETC}/webserver-readonly.env")).get("DAGSTER_PG_USER", "dagster_readonly")
    host, db, owner = env.get("DAGSTER_PG_HOST", "127.0.0.1"), env.get("DAGSTER_PG_DB"), env.get("DAGSTER_PG_USER")
    port = env.get("DAGSTER_PG_PORT", "5432")
    psql = f"psql --no-psqlrc --host={host} --port={port} --username=<an administrator> --set=ON_ERROR_STOP=1"
    local = host in LOOPBACK
    client = "127.0.0.1/32" if local else "<this host's address>/32"
    return "\n   ".join([
        f"The instance's database, on its host ({host}), by its administrator: the owner role {owner} and",
        f"the analysts' read-only role {readonly}, with the passwords the install made (psql asks for the",
        "administrator's own password; the role's comes on stdin; from this host, or on the database host",
        "with deploy/postgres/*.sql copied there):",
        f"sudo cat {CREDENTIALS}/DAGSTER_PG_PASSWORD |",
        f"  {psql} --dbname=postgres --set=owner={owner} --set=database={db} \\",
        f"  --file={OPT}/deploy/postgres/instance-database.sql",
        f"sudo cat {CREDENTIALS}/DAGSTER_PG_READONLY_PASSWORD |",
        f"  {psql} --dbname={db} --set=owner={owner} --set=readonly_role={readonly} \\",
        f"  --file={OPT}/deploy/postgres/readonly-role.sql",
        "and in its pg_hba.conf, above any broader line (the first line that matches decides), then reload it:",
        f"{'host' if local else 'hostssl'}  {db}  {owner}  {client}  scram-sha-256",
        f"{'host' if local else 'hostssl'}  {db}  {readonly}  {client}  scram-sha-256",
    ])


def _finish(site: Site) -> str:
    root = "" if site.root == Path("/") else f" --root {site.root}"
    return ("Once the database answers: the pools' limits, set as dpsexchange with umask 077 and the "
            f"instance's credential (dps-as-service):\n   sudo deploy/install --finish{root}")


def _start(site: Site) -> str:
    unit_dir = site.path(UNIT_DIR)
    wanted = sorted(path.name for path in unit_dir.glob("dps-exchange-*") if path.is_file()
                    and "[Install]" in path.read_text(encoding="utf-8"))
    return f"Start them:\n   sudo systemctl daemon-reload && sudo systemctl enable --now {' '.join(wanted)}"


def _strings(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []
