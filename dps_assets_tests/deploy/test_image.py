"""The code location's container image, built here as the docs say (deploy/image/build: Debian's
packages, buildah without a daemon or a registry), then started as Kubernetes starts it: its own
entry point with the Helm values' arguments, a mounted Secret laid out as Kubernetes lays one out,
the configuration and the exchange's folder mounted. A second build of the same commit is the
same image."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance
from dagster._core.remote_origin import GrpcServerCodeLocationOrigin
from dagster._core.remote_representation.code_location import GrpcServerCodeLocation

from dps_assets.config.schema import load_config
from dps_assets.definitions import build_definitions
from dps_assets.embedded.process import start_ready_process
from dps_assets_tests.support.containerfile import image_environment, image_user
from dps_assets_tests.support.kubernetes import kubernetes_secret
from dps_assets_tests.support.locks import pins
from dps_assets_tests.support.processes import descendants
from dps_assets_tests.support.servers import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "deploy" / "image" / "build"
IMAGE = "localhost/dps-exchange-code:" + re.search(
    r'^version = "(.+)"$', (REPO / "pyproject.toml").read_text(), re.MULTILINE).group(1)  # type: ignore[union-attr]
UID = 10001


@dataclass
class Build:
    output: Path
    storage: Path
    image_id: str

    def buildah_argv(self, *arguments: str) -> list[str]:
        """buildah with this build's storage (the build script's --storage)."""
        return ["buildah", "--storage-driver", "vfs", "--root", str(self.storage / "root"),
                "--runroot", str(self.storage / "run"), *arguments]

    def buildah(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.buildah_argv(*arguments), capture_output=True, text=True, check=True, timeout=600)

    def config(self) -> dict:
        return json.loads(self.buildah("inspect", "--type", "image", IMAGE).stdout)["OCIv1"]["config"]


def build_image(output: Path, storage: Path) -> Build:
    done = subprocess.run([str(BUILD), "--output", str(output), "--storage", str(storage)],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    image_id = re.search(r"^id +(\S+)$", done.stdout, re.MULTILINE)
    assert image_id, done.stdout
    return Build(output, storage, image_id.group(1))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    folder = tmp_path_factory.mktemp("image")
    return build_image(folder / "out", folder / "storage")


@pytest.fixture(scope="module")
def container(built: Build) -> Iterator[str]:
    name = built.buildah("from", "--quiet", IMAGE).stdout.strip()
    yield name
    built.buildah("rm", name)


def normalized(name: str) -> str:
    """A distribution's name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_image_runs_as_one_unprivileged_user_with_the_exchanges_entry_point(built: Build):
    config = built.config()
    assert config["User"] == f"{UID}:{UID}" and image_user() == (UID, UID)
    assert config["Entrypoint"] == ["/usr/bin/tini", "--", "/opt/dps-exchange/venv/bin/python", "-m",
                                    "dps_assets.service.container"]
    environment = dict(entry.split("=", 1) for entry in config["Env"])
    assert image_environment().items() <= environment.items() and environment["DPS_CONFIG"].startswith("/etc/")
    assert not [name for name in environment if re.search("PASSWORD|SECRET|PASSPHRASE|TOKEN", name)]
    labels = config["Labels"]
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert labels["org.opencontainers.image.revision"] == head
    assert (built.output / f"dps-exchange-code-{IMAGE.rsplit(':', 1)[1]}.oci.tar").stat().st_mode & 0o777 == 0o600


def test_the_image_holds_the_locked_packages_and_no_test_secret_or_setuid_file(built: Build, container: str):
    script = ("import importlib.metadata as m, json, os, stat\n"
              "pins = {d.metadata['Name']: d.version for d in m.distributions()}\n"
              "setuid, writable, names = [], [], []\n"
              "for top in ('/bin', '/sbin', '/usr', '/opt', '/etc', '/var', '/home', '/root'):\n"
              "    for folder, dirs, files in os.walk(top):\n"
              "        for name in files + dirs:\n"
              "            path = os.path.join(folder, name)\n"
              "            mode = os.lstat(path).st_mode\n"
              "            if stat.S_ISLNK(mode): continue\n"
              "            if mode & (stat.S_ISUID | stat.S_ISGID) and stat.S_ISREG(mode): setuid.append(path)\n"
              "            if mode & stat.S_IWOTH and not mode & stat.S_ISVTX: writable.append(path)\n"
              "            names.append(path)\n"
              "print(json.dumps({'pins': pins, 'setuid': setuid, 'writable': writable, 'names': names}))\n")
    seen = json.loads(built.buildah("run", "--isolation", "chroot", container, "--",
                                    "/opt/dps-exchange/venv/bin/python", "-c", script).stdout)
    lock = pins("deploy/image/requirements.lock")
    installed = {normalized(name): version for name, version in seen["pins"].items()}
    assert installed.pop("dps-assets") and "dagster-k8s" in installed
    assert installed == {normalized(name): version for name, version in lock.items()}
    assert seen["setuid"] == [] and seen["writable"] == []
    unwanted = re.compile(r"dps_assets_tests|/\.git(/|$)|dps_config\.demo\.yml|/id_(rsa|ed25519|ecdsa)$|\.venv/")
    assert [name for name in seen["names"] if unwanted.search(name)] == []


def test_the_entry_point_starts_the_code_server_as_the_helm_values_ask(
        built: Build, container: str, tmp_path: Path):
    """What a pod of the chart runs: the image's ENTRYPOINT with the chart's `args` for the
    values' code location (`dagster api grpc -h 0.0.0.0 -p <port> <dagsterApiGrpcArgs>`)."""
    deployment = yaml.safe_load((REPO / "deploy/helm/values.yaml").read_text())["dagster-user-deployments"]
    location = deployment["deployments"][0]
    port = free_port()
    arguments = ["dagster", "api", "grpc", "-h", "127.0.0.1", "-p", str(port), *location["dagsterApiGrpcArgs"]]
    secrets = kubernetes_secret(tmp_path / "secrets", {"DPS_DB_PASSWORD": "warehouse-secret\n",
                                                        "DPS_SFTP_KEY_PASSPHRASE": "key-secret"}, group=UID)
    configuration = tmp_path / "config"
    configuration.mkdir()
    (configuration / "dps_config.yml").write_text((REPO / "dps_config.yml").read_text())
    batch = tmp_path / "batch"
    batch.mkdir(mode=0o700)
    os.chown(batch, UID, UID)
    scratch = tmp_path / "tmp"
    scratch.mkdir(mode=0o1777)
    scratch.chmod(0o1777)
    mounts = [f"{secrets}:/run/secrets/dps-exchange:ro", f"{configuration}:/etc/dps-exchange:ro",
              f"{batch}:/home/scripts/dps_batch", f"{scratch}:/tmp"]
    config = built.config()
    argv = built.buildah_argv("run", "--isolation", "chroot",
                              *[option for mount in mounts for option in ("--volume", mount)],
                              container, "--", *config["Entrypoint"], *arguments)
    server = start_ready_process(argv, name="the image's code server", ready_pattern=r"Started Dagster code server",
                                 ready_stream="stdout", timeout_s=180, env=dict(os.environ))
    try:
        command_lines = {pid: Path(f"/proc/{pid}/cmdline").read_bytes() for pid in descendants(server.pid)}
        dagster = [pid for pid, line in command_lines.items() if b"/venv/bin/dagster\0api\0grpc\0" in line]
        assert len(dagster) == 1, command_lines
        status = dict(line.split(":\t", 1) for line in Path(f"/proc/{dagster[0]}/status").read_text().splitlines())
        assert status["Uid"].split()[0] == str(UID) and status["Umask"].strip() == "0077"
        environment = dict(entry.split(b"=", 1) for entry in Path(f"/proc/{dagster[0]}/environ").read_bytes()
                           .split(b"\0") if b"=" in entry)
        assert environment[b"DPS_DB_PASSWORD"] == b"warehouse-secret"
        assert environment[b"DPS_SFTP_KEY_PASSPHRASE"] == b"key-secret"
        assert not [name for name in environment if name.startswith(b"..")]

        # The code location the webserver and the daemon would load from this pod.
        origin = GrpcServerCodeLocationOrigin(host="127.0.0.1", port=port, location_name="dps_assets")
        with DagsterInstance.ephemeral() as instance, \
                GrpcServerCodeLocation(origin=origin, instance=instance) as location_loaded:
            repository = next(iter(location_loaded.get_repositories().values()))
            served = {snap.asset_key for snap in repository.get_asset_node_snaps()}
        definitions = build_definitions(load_config(REPO / "dps_config.yml"))
        assert served == set(definitions.resolve_asset_graph().get_all_asset_keys())
    finally:
        server.stop()


def test_two_builds_of_one_commit_are_the_same_image(built: Build, tmp_path: Path):
    again = build_image(built.output, tmp_path / "storage")  # the same Debian base, another store
    assert again.image_id == built.image_id
