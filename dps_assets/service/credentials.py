"""Start a command with the credentials systemd gave its unit as environment variables.

The units hold no secret in their environment files. Each names the secrets its process needs
with `LoadCredential=<VARIABLE>:/etc/dps-exchange/credentials/<file>`: systemd reads the file as
root when the unit starts and hands the process a private copy in `$CREDENTIALS_DIRECTORY`, which
only the unit's user can read. The exchange reads its secrets through Dagster's `EnvVar`
(dagster.yaml's `{env: DAGSTER_PG_PASSWORD}`, the resources' `*_env` keys), so the unit's
`ExecStart=` runs

    python -m dps_assets.service.credentials /opt/dps-exchange/.venv/bin/dagster-webserver ...

which sets one variable per credential (its name is the credential's id, its value the file's
content without its final line break) and replaces itself with the command: the variables
exist in that process and what it starts, and in no other unit's process.

Only the standard library: this runs before anything else of the exchange is imported."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

DIRECTORY_VARIABLE = "CREDENTIALS_DIRECTORY"
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
USAGE = "usage: python -m dps_assets.service.credentials /absolute/path/to/command [argument ...]"


class CredentialError(Exception):
    """A credential that cannot become an environment variable. Names the file, never its content."""


def credential_variables(directory: Path) -> dict[str, str]:
    """The credentials in `directory` as variables: file name -> content without one final line
    break (`echo secret > file` writes one). A name that is not a variable name, an empty file,
    text that is not UTF-8 or a NUL byte (which no environment variable can hold) is refused.
    Hidden entries are not credentials: Kubernetes keeps its own (`..data`, `..<timestamp>`) in a
    mounted Secret beside one link per key (the container image's entry point reads those)."""
    return {path.name: credential_value(path, path.name)
            for path in sorted(directory.iterdir()) if not path.name.startswith(".")}


def credential_value(path: Path, name: str) -> str:
    """One credential file's secret, as the variable `name` will hold it (the same rules)."""
    if not path.is_file():
        raise CredentialError(f"{path}: not a regular file")
    if not VARIABLE_NAME.fullmatch(name):
        raise CredentialError(f"{path}: the credential's id must be an environment variable name "
                              "(letters, digits, underscores; not starting with a digit)")
    try:
        value = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialError(f"{path}: not UTF-8 text") from None
    value = value.removesuffix("\n").removesuffix("\r")
    if not value:
        raise CredentialError(f"{path}: empty")
    if "\0" in value:
        raise CredentialError(f"{path}: holds a NUL byte, which an environment variable cannot")
    return value


def environment_with_credentials(environment: Mapping[str, str]) -> dict[str, str]:
    """`environment` plus the credentials of `$CREDENTIALS_DIRECTORY` (unchanged without it: a
    process started by hand, with its variables already set). A credential overrides a variable
    of the same name."""
    directory = environment.get(DIRECTORY_VARIABLE)
    if not directory:
        return dict(environment)
    return {**environment, **credential_variables(Path(directory))}


def main(argv: Sequence[str] | None = None) -> None:
    command = list(sys.argv[1:] if argv is None else argv)
    if not command or not os.path.isabs(command[0]):
        sys.exit(USAGE)
    try:
        environment = environment_with_credentials(os.environ)
    except (CredentialError, OSError) as exc:
        sys.exit(f"dps_assets.service.credentials: {exc}")
    os.execve(command[0], command, environment)


if __name__ == "__main__":
    main()
