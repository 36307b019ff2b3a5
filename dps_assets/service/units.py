"""The installed systemd units as the installer and `dps-as-service` read them: a unit's
`[Service]` settings with its drop-ins, and the environment files it names.

Only the standard library: the installer reads units before the virtualenv exists.

`root` is the folder the site is installed under (`/` on a host; a temporary folder in the tests,
like a package build's DESTDIR). The files keep naming host paths (`/etc/dps-exchange/...`); a
path is looked up under `root`, and a variable's value that names one of the exchange's own
folders is read as that folder under `root`."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

SERVICE_USER = "dpsexchange"
OPT = "/opt/dps-exchange"
ETC = "/etc/dps-exchange"
VAR = "/var/lib/dps-exchange"
UNIT_DIR = "/etc/systemd/system"
CREDENTIALS = f"{ETC}/credentials"
# The folders the installer makes for the exchange alone: a value naming one is rooted with them.
OWN_FOLDERS = (OPT, ETC, VAR)


def under(root: Path, host_path: str) -> Path:
    """Where `host_path` (absolute) is, for a site installed under `root`."""
    return root / host_path.lstrip("/")


def rooted_value(root: Path, value: str) -> str:
    """A variable's value, with a path into the exchange's own folders moved under `root`."""
    if root == Path("/"):
        return value
    if any(value == folder or value.startswith(f"{folder}/") for folder in OWN_FOLDERS):
        return str(under(root, value))
    return value


def section_lines(text: str, section: str = "Service") -> list[tuple[str, str]]:
    """`(key, value)` of one section of a unit file: comments and blank lines left out,
    backslash-continued lines joined, as systemd reads them."""
    lines: list[tuple[str, str]] = []
    current = ""
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
        elif current == section and "=" in line:
            key, value = line.split("=", 1)
            lines.append((key.strip(), value.strip()))
    return lines


@dataclass(frozen=True)
class Unit:
    """A unit's `[Service]` lines, its drop-ins' after its own (drop-ins in file-name order)."""

    name: str
    lines: tuple[tuple[str, str], ...]

    @classmethod
    def read(cls, unit_dir: Path, name: str) -> Unit:
        name = name if "." in name else f"{name}.service"
        path = unit_dir / name
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such unit (is the exchange installed?)")
        texts = [path.read_text(encoding="utf-8")]
        texts += [p.read_text(encoding="utf-8") for p in sorted((unit_dir / f"{name}.d").glob("*.conf"))]
        return cls(name, tuple(line for text in texts for line in section_lines(text)))

    def values(self, key: str) -> list[str]:
        """Every value of a setting, in order (an empty value resets the list, as in systemd)."""
        found: list[str] = []
        for k, value in self.lines:
            if k == key:
                found = [] if value == "" else [*found, value]
        return found

    def setting(self, key: str, default: str | None = None) -> str | None:
        """A single-valued setting: the last one wins."""
        values = self.values(key)
        return values[-1] if values else default

    def credentials(self) -> dict[str, str]:
        """`LoadCredential=ID:PATH` lines: credential id -> host path of its file."""
        pairs = (value.split(":", 1) for value in self.values("LoadCredential"))
        return {name: path for name, path in pairs}

    def read_write_paths(self) -> list[str]:
        """`ReadWritePaths=` folders (a `-` prefix marks one that may be missing)."""
        return [path.lstrip("-+") for value in self.values("ReadWritePaths") for path in value.split()]

    def environment(self, root: Path) -> dict[str, str]:
        """The variables of `Environment=` and then of each `EnvironmentFile=` (a later file
        overrides an earlier one). A file marked optional (`-`) may be missing."""
        environment: dict[str, str] = {}
        for value in self.values("Environment"):
            for pair in shlex.split(value):
                if "=" in pair:
                    name, _, assigned = pair.partition("=")
                    environment[name] = assigned
        for value in self.values("EnvironmentFile"):
            path = under(root, value.removeprefix("-"))
            if path.is_file() or not value.startswith("-"):
                environment.update(environment_file(path))
        return {name: rooted_value(root, value) for name, value in environment.items()}


def environment_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines of an environment file as systemd reads them: `#` and `;` lines are
    comments, a value may be quoted ('…' or "…")."""
    variables = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        name, value = (part.strip() for part in line.split("=", 1))
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        variables[name] = value
    return variables
