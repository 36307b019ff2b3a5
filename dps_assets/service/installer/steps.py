"""The install's steps, in order. Each leaves what is already right alone (files.Site)."""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from dps_assets.service.installer.files import Site
from dps_assets.service.units import CREDENTIALS, ETC, OPT, UNIT_DIR, VAR, Unit, environment_file

# What /opt/dps-exchange holds besides the virtualenv: what the units name (deploy/workspace.yaml)
# and what an operator reads on the host. The code itself is installed into the virtualenv.
SHIPPED = ("deploy", "docs", "README.md", "requirements-runtime.lock")
# Files under deploy/systemd/ the site edits: installed when missing, never replaced.
SITE_EDITED_UNIT_FILES = {"dps-exchange-code.service.d/exchange-secrets.conf"}
# Credentials the installer makes itself when missing: random passwords for the instance's two
# PostgreSQL roles, which the database host's step then creates with them (todo.py).
GENERATED_CREDENTIALS = ("DAGSTER_PG_PASSWORD", "DAGSTER_PG_READONLY_PASSWORD")
LOCK = "requirements-runtime.lock"


def code(site: Site, source: Path) -> None:
    files = [path.relative_to(source) for name in SHIPPED for path in _files(source / name)]
    site.tree(source, sorted(files), OPT)


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]


def virtualenv(site: Site, source: Path, python: str, uv: str | None) -> Path:
    """/opt/dps-exchange/.venv, root's and readable by all: the runtime lock's packages (built
    again, from nothing, when the lock or the Python changes), then the exchange's code, built
    from a copy of the checkout (nothing is written into the checkout or /opt/dps-exchange)."""
    venv = site.path(f"{OPT}/.venv")
    bin_python = venv / "bin" / "python"
    lock = site.path(f"{OPT}/{LOCK}")
    version = subprocess.run([python, "-c", "import sys; print(sys.version)"], capture_output=True, text=True,
                             check=True).stdout
    packages = _digest([lock.read_bytes(), version.encode()])
    if _stamp(venv, "packages") != packages:
        if venv.exists():
            shutil.rmtree(venv)
        if uv:
            _run([uv, "venv", "--quiet", "--python", python, venv])
            _run([uv, "pip", "install", "--quiet", "--python", bin_python, "-r", lock])
        else:
            _run([python, "-m", "venv", venv])
            _run([bin_python, "-m", "pip", "install", "--quiet", "--no-input", "-r", lock])
        (venv / "dps-exchange.packages").write_text(packages)
        site.changed(f"built {OPT}/.venv from {LOCK} ({'uv' if uv else 'pip'})")
    project = [source / "pyproject.toml", *sorted(_files(source / "dps_assets"))]
    code_digest = _digest([str(p.relative_to(source)).encode() + p.read_bytes() for p in project])
    if _stamp(venv, "code") != code_digest:
        with tempfile.TemporaryDirectory(prefix="dps-exchange-build-") as build:
            shutil.copy2(source / "pyproject.toml", build)
            shutil.copytree(source / "dps_assets", Path(build, "dps_assets"),
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            if uv:
                _run([uv, "pip", "install", "--quiet", "--python", bin_python, "--no-deps", "--reinstall", build])
            else:
                _run([bin_python, "-m", "pip", "install", "--quiet", "--no-input", "--no-deps",
                      "--force-reinstall", build])
        (venv / "dps-exchange.code").write_text(code_digest)
        site.changed(f"installed the exchange's code into {OPT}/.venv")
    return bin_python


def _digest(parts: list[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def _stamp(venv: Path, what: str) -> str | None:
    path = venv / f"dps-exchange.{what}"
    return path.read_text() if path.is_file() else None


def _run(argv: list[str | Path]) -> None:
    done = subprocess.run(list(map(str, argv)), capture_output=True, text=True)
    if done.returncode != 0:
        raise InstallError(f"{' '.join(map(str, argv))} failed ({done.returncode}):\n{done.stderr[-3000:]}")


class InstallError(Exception):
    """A step that could not be done, in a sentence (with the failing command's own output)."""


def configuration(site: Site, source: Path) -> dict[str, str]:
    """/etc/dps-exchange: the environment files, dps_config.yml, the credentials folder, and the
    instance's two PostgreSQL passwords made at random if missing. What is there is kept; modes
    and owners are set. Returns the installed environment (host paths)."""
    site.folder(ETC, 0o750, "root:service")
    deploy = source / "deploy"
    site.file(f"{ETC}/dps-exchange.env", (deploy / "dps-exchange.env.example").read_bytes(), 0o600, replace=False)
    site.file(f"{ETC}/webserver-readonly.env", (deploy / "webserver-readonly.env.example").read_bytes(), 0o600,
              replace=False)
    site.file(f"{ETC}/dps_config.yml", (source / "dps_config.yml").read_bytes(), 0o640, "root:service",
              replace=False)
    credentials = site.folder(CREDENTIALS, 0o700)
    for name in GENERATED_CREDENTIALS:
        if not (credentials / name).exists():
            site.file(f"{CREDENTIALS}/{name}", secrets.token_urlsafe(32).encode() + b"\n", 0o600)
    for present in sorted(credentials.iterdir()):
        site.settle(present, 0o600, "root")
    return environment_file(site.path(f"{ETC}/dps-exchange.env"))


def dagster_home(site: Site, source: Path, environment: dict[str, str]) -> None:
    home = environment.get("DAGSTER_HOME", f"{VAR}/dagster_home")
    site.folder(home, 0o700, "service")
    site.file(f"{home}/dagster.yaml", (source / "deploy" / "dagster.yaml").read_bytes(), 0o600, "service",
              replace=False)


def units(site: Site, source: Path) -> list[Unit]:
    """Every file under deploy/systemd/ (units, timers, drop-in folders) into /etc/systemd/system."""
    shipped = source / "deploy" / "systemd"
    for path in sorted(shipped.rglob("*")):
        relative = path.relative_to(shipped)
        if path.is_dir():
            site.folder(f"{UNIT_DIR}/{relative}")
        else:
            site.file(f"{UNIT_DIR}/{relative}", path.read_bytes(), 0o644,
                      replace=str(relative) not in SITE_EDITED_UNIT_FILES)
    unit_dir = site.path(UNIT_DIR)
    return [Unit.read(unit_dir, path.name) for path in sorted(shipped.glob("*.service"))]


POLKIT_RULES = "/etc/polkit-1/rules.d"


def polkit_rules(site: Site, source: Path) -> bool:
    """The health check's permission to restart the exchange's units and no other
    (deploy/polkit/), into polkitd's rules folder, root's, 0644. False when polkitd is not
    installed (no rules folder): its folder is polkitd's own to make, so the step is left to do."""
    if not site.path(POLKIT_RULES).is_dir():
        return False
    for rule in sorted((source / "deploy" / "polkit").glob("*.rules")):
        site.file(f"{POLKIT_RULES}/{rule.name}", rule.read_bytes(), 0o644)
    return True


def host_paths(python: Path, site: Site, environment: dict[str, str]) -> dict[str, object]:
    """What the installed configuration needs on the host, read by its own loader."""
    config = site.path(environment.get("DPS_CONFIG", f"{ETC}/dps_config.yml"))
    done = subprocess.run([str(python), "-m", "dps_assets.config.host_paths", str(config)],
                          capture_output=True, text=True, cwd=tempfile.gettempdir())
    if done.returncode != 0:
        raise InstallError(f"{site.host(config)} does not load: {done.stderr.strip()[-2000:]}")
    paths: dict[str, object] = json.loads(done.stdout)
    return paths


def write_paths(site: Site, installed: list[Unit]) -> None:
    """What the units write (ReadWritePaths=): a missing one stops a unit from starting. The
    service user's, 0700."""
    for unit in installed:
        for folder in unit.read_write_paths():
            site.folder(folder, 0o700, "service")


def folders(site: Site, paths: dict[str, object]) -> None:
    """The configuration's folders, the SSH key's folder and known_hosts: the service user's,
    0700 and 0600."""
    for folder in [*_as_list(paths["folders"]), *_parents(paths, "private_key_file", "known_hosts_file")]:
        site.folder(_host(site, folder), 0o700, "service")
    known_hosts = paths.get("known_hosts_file")
    if isinstance(known_hosts, str):
        site.file(_host(site, known_hosts), b"", 0o600, "service", replace=False)
    key = paths.get("private_key_file")
    if isinstance(key, str) and site.path(_host(site, key)).exists():
        site.settle(site.path(_host(site, key)), 0o600, "service")


def _as_list(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _parents(paths: dict[str, object], *keys: str) -> list[str]:
    return [str(Path(value).parent) for key in keys if isinstance(value := paths.get(key), str)]


def _host(site: Site, path: str) -> str:
    """A path the installed configuration gave (resolved under the root if it was relative)."""
    candidate = Path(path)
    return site.host(candidate) if candidate.is_relative_to(site.root) and site.root != Path("/") else path
