"""What systemd would do with the shipped units, done without systemd: read a unit and its
drop-ins, give a process the environment its `Environment=` and `EnvironmentFile=` lines give it,
the credentials its `LoadCredential=` lines name (a private directory, `$CREDENTIALS_DIRECTORY`),
its `UMask=`, and, through unit_sandbox.py, its `NoNewPrivileges=` and `MemoryDenyWriteExecute=`.

The host's /etc/dps-exchange is a `Site`: the test says what each of its files holds."""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = DEPLOY / "systemd"
ETC = "/etc/dps-exchange"
ENVIRONMENT_FILE = f"{ETC}/dps-exchange.env"
READONLY_ENVIRONMENT_FILE = f"{ETC}/webserver-readonly.env"
CREDENTIALS = f"{ETC}/credentials"
SANDBOX = Path(__file__).with_name("unit_sandbox.py")
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"  # what systemd gives a service


def unit_lines(unit: str, drop_ins: Mapping[str, str] | None = None,
               section: str = "Service", units: Path = UNITS) -> list[tuple[str, str]]:
    """`(key, value)` of a section of a unit ([Service]), then of its drop-ins in name order: the
    shipped ones (deploy/systemd/<unit>.d/*.conf; or those installed beside it when `units` is an
    installed site's /etc/systemd/system), each replaced by `drop_ins[name]` if given there (a
    site's own version of it)."""
    texts = [(units / unit).read_text(encoding="utf-8")]
    shipped = {p.name: p.read_text(encoding="utf-8") for p in (units / f"{unit}.d").glob("*.conf")}
    texts += [text for _, text in sorted({**shipped, **(drop_ins or {})}.items())]
    lines = []
    for text in texts:
        header = f"[{section}]"
        lines_of_section = text.split(header, 1)[1].split("\n[", 1)[0] if header in text else ""
        for line in lines_of_section.splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                lines.append((key, value))
    return lines


def unit_settings(unit: str, units: Path = UNITS) -> dict[str, str]:
    """A unit's single-valued settings (the last line wins, as for systemd)."""
    return dict(unit_lines(unit, units=units))


def unit_values(unit: str, key: str, drop_ins: Mapping[str, str] | None = None,
                section: str = "Service") -> list[str]:
    """Every value of a setting that may be given many times (`LoadCredential=`)."""
    return [value for k, value in unit_lines(unit, drop_ins, section) if k == key]


@dataclass
class Site:
    """The host's /etc/dps-exchange: environment files (path -> variables) and credential files
    (path -> the secret)."""

    environment_files: dict[str, dict[str, str]] = field(default_factory=dict)
    credential_files: dict[str, str] = field(default_factory=dict)


@dataclass
class ProcessStart:
    """How systemd would start a unit's process: its environment, its credentials."""

    environment: dict[str, str]
    credentials: dict[str, str]


def process_start(unit: str, site: Site, drop_ins: Mapping[str, str] | None = None,
                  units: Path = UNITS) -> ProcessStart:
    """The environment and the credentials of `unit`'s process. A file the unit names that the
    site does not hold fails, as systemd refuses to start the unit (unless `-` marks it optional)."""
    environment = {"PATH": SYSTEMD_PATH}
    lines = unit_lines(unit, drop_ins, units=units)
    for key, value in lines:
        if key == "Environment":
            environment.update(pair.split("=", 1) for pair in shlex.split(value))
    for key, value in lines:  # EnvironmentFile= overrides Environment=, a later file an earlier one
        if key == "EnvironmentFile":
            path = value.removeprefix("-")
            if path in site.environment_files:
                environment.update(site.environment_files[path])
            elif not value.startswith("-"):
                raise FileNotFoundError(f"{unit}: EnvironmentFile={path} is not on the site")
    credentials = {}
    for key, value in lines:
        if key != "LoadCredential":
            continue
        name, path = value.split(":", 1)
        if path not in site.credential_files:
            raise FileNotFoundError(f"{unit}: LoadCredential={name}:{path} is not on the site")
        credentials[name] = site.credential_files[path]
    return ProcessStart(environment, credentials)


def credentials_directory(folder: Path, credentials: Mapping[str, str]) -> Path:
    """As systemd lays out `$CREDENTIALS_DIRECTORY`: a fresh read-only folder, a file per credential."""
    if folder.exists():
        folder.chmod(0o700)
        shutil.rmtree(folder)
    folder.mkdir(mode=0o700, parents=True)
    for name, secret in credentials.items():
        (folder / name).write_text(secret, encoding="utf-8")
        (folder / name).chmod(0o400)
    folder.chmod(0o500)
    return folder


def sandboxed(unit: str, command: list[str], units: Path = UNITS) -> list[str]:
    """`command` started under what the kernel can enforce without systemd of the unit's
    `NoNewPrivileges=` and `MemoryDenyWriteExecute=` (unit_sandbox.py)."""
    settings = unit_settings(unit, units)
    options = [option for option, key in (("--no-new-privileges", "NoNewPrivileges"),
                                          ("--memory-deny-write-execute", "MemoryDenyWriteExecute"))
               if settings.get(key) == "yes"]
    return [sys.executable, str(SANDBOX), *options, "--", *command]


def environ_of(pid: int) -> dict[str, str]:
    """A running process's environment, as another process of its user reads it in /proc."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(entry.split("=", 1) for entry in raw.decode("utf-8", "replace").split("\0") if "=" in entry)
