"""The units' entry point turns the credentials systemd hands a unit into that process's
environment variables, and refuses a credential it cannot pass on without saying its value."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dps_assets.service.credentials import CredentialError, credential_variables
from dps_assets_tests.support.kubernetes import kubernetes_secret

REPO = Path(__file__).resolve().parents[2]
PRINT_ENVIRONMENT = [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"]


def credentials_directory(folder: Path, files: dict[str, bytes]) -> Path:
    """As systemd lays out $CREDENTIALS_DIRECTORY: one read-only file per credential."""
    folder.mkdir(mode=0o700)
    for name, content in files.items():
        (folder / name).write_bytes(content)
        (folder / name).chmod(0o400)
    folder.chmod(0o500)
    return folder


def started(command: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dps_assets.service.credentials", *command], env=environment,
                          cwd=REPO, capture_output=True, text=True, timeout=60)


def test_each_credential_becomes_a_variable_of_the_command_it_starts(tmp_path):
    directory = credentials_directory(tmp_path / "credentials", {
        "DAGSTER_PG_PASSWORD": b"pg secret\n", "DPS_SFTP_PASSWORD": b"line\r\n", "DPS_DB_PASSWORD": b"no newline"})
    done = started(PRINT_ENVIRONMENT, {"CREDENTIALS_DIRECTORY": str(directory), "DAGSTER_PG_USER": "dagster",
                                       "DPS_DB_PASSWORD": "stale value from an environment file"})
    assert done.returncode == 0, done.stderr
    environment = json.loads(done.stdout)
    assert environment["DAGSTER_PG_PASSWORD"] == "pg secret"
    assert environment["DPS_SFTP_PASSWORD"] == "line"
    assert environment["DPS_DB_PASSWORD"] == "no newline"  # the credential wins
    assert environment["DAGSTER_PG_USER"] == "dagster"  # the unit's other variables pass through


def test_without_a_credentials_directory_the_command_starts_with_its_environment():
    done = started(PRINT_ENVIRONMENT, {"DAGSTER_PG_USER": "dagster"})
    assert done.returncode == 0, done.stderr
    assert "DAGSTER_PG_PASSWORD" not in json.loads(done.stdout)


def test_the_entry_point_replaces_itself_with_the_command(tmp_path):
    directory = credentials_directory(tmp_path / "credentials", {"DAGSTER_PG_PASSWORD": b"x"})
    command = [sys.executable, "-c", "import os; print(os.getpid())"]
    process = subprocess.Popen([sys.executable, "-m", "dps_assets.service.credentials", *command],
                               env={"CREDENTIALS_DIRECTORY": str(directory)}, cwd=REPO,
                               stdout=subprocess.PIPE, text=True)
    out, _ = process.communicate(timeout=60)
    assert int(out) == process.pid  # exec, not a child: systemd's main process is the service itself


@pytest.mark.parametrize(("name", "content", "said"), [
    ("DPS-DB-PASSWORD", b"hunter2-secret", "environment variable name"),
    ("1PASSWORD", b"hunter2-secret", "environment variable name"),
    ("DPS_DB_PASSWORD", b"", "empty"),
    ("DPS_DB_PASSWORD", b"\n", "empty"),
    ("DPS_DB_PASSWORD", b"hunter2-secret\0tail", "NUL"),
    ("DPS_DB_PASSWORD", b"hunter2-secret\xff", "not UTF-8"),
])
def test_a_credential_that_cannot_be_a_variable_stops_the_start_naming_the_file_not_the_value(
        tmp_path, name, content, said):
    directory = credentials_directory(tmp_path / "credentials", {name: content})
    with pytest.raises(CredentialError, match=said) as raised:
        credential_variables(directory)
    assert name in str(raised.value) and "hunter2" not in str(raised.value)
    done = started(PRINT_ENVIRONMENT, {"CREDENTIALS_DIRECTORY": str(directory)})
    assert done.returncode != 0 and done.stdout == ""
    assert said in done.stderr and "hunter2" not in done.stderr


def test_a_command_must_be_named_by_its_absolute_path():
    # systemd's ExecStart= names the venv's programs by their paths; no PATH lookup.
    done = started(["python3", "-c", "print(1)"], {})
    assert done.returncode != 0 and done.stdout == "" and "usage" in done.stderr



def test_a_mounted_kubernetes_secret_gives_its_keys_and_not_its_bookkeeping(tmp_path):
    directory = kubernetes_secret(tmp_path / "secret", {"DPS_DB_PASSWORD": "warehouse\n",
                                                        "DPS_SFTP_KEY_PASSPHRASE": "key"})
    assert credential_variables(directory) == {"DPS_DB_PASSWORD": "warehouse", "DPS_SFTP_KEY_PASSPHRASE": "key"}


def container_started(command: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dps_assets.service.container", *command], env=environment,
                          cwd=REPO, capture_output=True, text=True, timeout=60)


def test_the_image_entry_point_finds_the_command_on_path_with_umask_077_and_the_secrets(tmp_path):
    # The chart's args name `dagster`, not its path: the image's entry point looks it up on PATH.
    directory = kubernetes_secret(tmp_path / "secret", {"DPS_DB_PASSWORD": "warehouse"})
    program = Path(sys.executable).name
    done = container_started([program, "-c", "import json, os; print(json.dumps([os.umask(0), os.getpid(), "
                                          "os.environ['DPS_DB_PASSWORD']]))"],
                             {"CREDENTIALS_DIRECTORY": str(directory), "PATH": str(Path(sys.executable).parent)})
    assert done.returncode == 0, done.stderr
    umask, _, secret = json.loads(done.stdout)
    assert umask == 0o077 and secret == "warehouse"


def test_the_image_entry_point_names_a_missing_program_and_a_bad_secret_never_its_value(tmp_path):
    done = container_started(["no-such-dagster", "api", "grpc"], {"PATH": str(tmp_path)})
    assert done.returncode != 0 and "no-such-dagster: no such program on PATH" in done.stderr
    directory = kubernetes_secret(tmp_path / "secret", {"DPS-DB-PASSWORD": "hunter2-secret"})
    done = container_started([Path(sys.executable).name, "-c", "print(1)"],
                             {"CREDENTIALS_DIRECTORY": str(directory), "PATH": str(Path(sys.executable).parent)})
    assert done.returncode != 0 and done.stdout == ""
    assert "DPS-DB-PASSWORD" in done.stderr and "hunter2" not in done.stderr
    assert container_started([], {}).stderr.startswith("usage")
