"""The values for Dagster's Helm chart (deploy/helm/values.yaml) and their validation command,
checked without the chart: CI reaches no Helm repository and the chart's schema is not committed.
The run against the chart's own schema is recorded in docs/kubernetes.md."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from dps_assets_tests.support.containerfile import image_environment, image_user
from dps_assets_tests.support.systemd_units import DEPLOY, REPO

VALUES_FILE = DEPLOY / "helm" / "values.yaml"
VALIDATE = DEPLOY / "helm" / "validate-values"
EXCHANGE_SECRETS = DEPLOY / "systemd" / "dps-exchange-code.service.d" / "exchange-secrets.conf"

# The image's contract (docs/kubernetes.md, "The image"): what the chart's pods rely on.
IMAGE_USER = image_user()
IMAGE_ENV = image_environment()


def values() -> dict[str, Any]:
    loaded = yaml.safe_load(VALUES_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def deployment() -> dict[str, Any]:
    deployments = values()["dagster-user-deployments"]["deployments"]
    assert [d["name"] for d in deployments] == ["dps-exchange"]
    return deployments[0]


def mounts() -> dict[str, dict[str, Any]]:
    """Each mount path of the code location's pods, with the volume mounted there."""
    volumes = {v["name"]: v for v in deployment()["volumes"]}
    return {m["mountPath"]: volumes[m["name"]] | {"readOnly": m.get("readOnly", False)}
            for m in deployment()["volumeMounts"]}


def pinned(package: str) -> str:
    match = re.search(rf"^{package}==(\S+)$", (REPO / "requirements.lock").read_text(encoding="utf-8"), re.M)
    assert match
    return match.group(1)


def load_credential_names(*, commented: bool) -> set[str]:
    prefix = r"#\s*" if commented else ""
    return set(re.findall(rf"^{prefix}LoadCredential=([A-Z_]+):", EXCHANGE_SECRETS.read_text(encoding="utf-8"), re.M))


def run_validate(chart: Path, values_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(VALIDATE), str(chart), str(values_file)],
                          capture_output=True, text=True, timeout=60, check=False)


# --- the validation command, on a small schema of the chart's form ---------------------------------

SMALL_SCHEMA = {
    "type": "object", "required": ["dagsterWebserver", "telemetry"],
    "properties": {
        "dagsterWebserver": {"$ref": "#/definitions/Webserver"},
        "telemetry": {"type": "object", "properties": {"enabled": {"type": "boolean"}}, "required": ["enabled"],
                      "additionalProperties": False},
        "deployments": {"type": "array", "items": {"type": "object", "required": ["name", "port"]}},
    },
    "definitions": {"Webserver": {
        "type": "object", "additionalProperties": False, "required": ["replicaCount"],
        "properties": {"replicaCount": {"type": "integer"}, "enableReadOnly": {"type": "boolean"},
                       "resources": {"type": "object", "$ref": "https://kubernetesjsonschema.dev/v1.18.0/"
                                     "_definitions.json#/definitions/io.k8s.api.core.v1.ResourceRequirements"}}}},
}


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    (tmp_path / "values.schema.json").write_text(json.dumps(SMALL_SCHEMA), encoding="utf-8")
    (tmp_path / "values.yaml").write_text("dagsterWebserver: {replicaCount: 1}\ntelemetry: {enabled: true}\n",
                                          encoding="utf-8")
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_good_values_pass_merged_over_the_charts_defaults(chart: Path, tmp_path: Path) -> None:
    good = write(tmp_path / "good.yaml", "dagsterWebserver: {enableReadOnly: true, resources: {limits: {cpu: 1}}}\n"
                                         "telemetry: {enabled: false}\n")
    result = run_validate(chart, good)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s)" in result.stdout
    assert "1 Kubernetes schema(s) referenced by URL not checked" in result.stdout


def test_a_bad_value_fails_naming_its_path_and_not_its_value(chart: Path, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", "dagsterWebserver: {enableReadOnly: 's3cr3t-looking', readonly: true}\n"
                                        "telemetry: {enabled: false}\n")
    result = run_validate(chart, bad)
    assert result.returncode == 1
    assert "ERROR .dagsterWebserver.enableReadOnly: must match type \"boolean\"" in result.stdout
    assert "ERROR .dagsterWebserver: property not allowed here: readonly" in result.stdout
    assert "s3cr3t" not in result.stdout + result.stderr


def test_without_the_charts_defaults_a_missing_property_is_a_note_except_in_a_list(chart: Path,
                                                                                    tmp_path: Path) -> None:
    (chart / "values.yaml").unlink()
    lone = write(tmp_path / "lone.yaml", "telemetry: {enabled: false}\ndeployments: [{name: x}]\n")
    result = run_validate(chart, lone)
    assert "note  .: required property 'dagsterWebserver' is missing" in result.stdout
    assert "ERROR .deployments[0]: required property 'port' is missing" in result.stdout
    assert result.returncode == 1


def test_a_chart_of_another_version_than_the_pinned_dagster_fails(chart: Path, tmp_path: Path) -> None:
    good = write(tmp_path / "good.yaml", "telemetry: {enabled: false}\n")
    write(chart / "Chart.yaml", "name: dagster\nversion: 1.12.0\n")
    result = run_validate(chart, good)
    assert result.returncode == 1
    assert f"chart version 1.12.0, but dagster=={pinned('dagster')} is pinned" in result.stdout
    write(chart / "Chart.yaml", f"name: dagster\nversion: {pinned('dagster')}\n")
    assert run_validate(chart, good).returncode == 0


# --- the values, consistent with the project --------------------------------------------------------

def test_images_are_the_projects_version_and_dagsters_pinned_one() -> None:
    project_version = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert deployment()["image"]["tag"] == project_version
    assert deployment()["image"]["repository"].endswith("/dps-exchange-code")
    for component in ("dagsterWebserver", "dagsterDaemon"):
        assert values()[component]["image"]["tag"] == pinned("dagster")


def test_the_code_server_serves_the_workspaces_module_on_its_port() -> None:
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text(encoding="utf-8"))["load_from"][0]["grpc_server"]
    module = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["dagster"]["module_name"]
    code_unit = (DEPLOY / "systemd" / "dps-exchange-code.service").read_text(encoding="utf-8")
    assert re.search(rf"^ExecStart=.* api grpc .*--module-name {re.escape(module)}\b", code_unit, re.M)
    args = deployment()["dagsterApiGrpcArgs"]
    assert args[args.index("--module-name") + 1] == module
    assert deployment()["port"] == workspace["port"]
    assert "--log-format" in args and args[args.index("--log-format") + 1] == "json"
    assert deployment()["includeConfigInLaunchedRuns"] == {"enabled": True}


def test_the_secret_holds_exactly_the_code_servers_credentials() -> None:
    secret = mounts()[IMAGE_ENV["CREDENTIALS_DIRECTORY"]]
    assert secret["readOnly"] and secret["secret"]["defaultMode"] == 0o400
    keys = {item["key"] for item in secret["secret"]["items"]}
    assert keys == load_credential_names(commented=False)
    assert all(item["path"] == item["key"] for item in secret["secret"]["items"])
    commented = set(re.findall(r"#\s*- \{key: ([A-Z_]+),", VALUES_FILE.read_text(encoding="utf-8")))
    assert commented == load_credential_names(commented=True)
    config_text = (REPO / "dps_config.yml").read_text(encoding="utf-8")
    named_by_config = set(re.findall(r"^\s*[a-z_]+_env:\s*([A-Z_]+)", config_text, re.M))
    assert named_by_config <= keys


def test_every_folder_and_key_file_of_dps_config_is_on_a_mounted_volume() -> None:
    config = yaml.safe_load((REPO / "dps_config.yml").read_text(encoding="utf-8"))
    paths = [*config["directories"].values(), config["sftp"]["private_key_file"], config["sftp"]["known_hosts_file"]]
    mounted = mounts()
    for path in paths:
        holder = max((m for m in mounted if (path.rstrip("/") + "/").startswith(m.rstrip("/") + "/")), key=len,
                     default=None)
        assert holder is not None, f"{path} is on no mounted volume"
        assert "emptyDir" not in mounted[holder], f"{path} would not outlive its pod"
    ssh = mounted[str(Path(config["sftp"]["private_key_file"]).parent)]
    assert ssh["readOnly"] and ssh["secret"]["defaultMode"] == 0o400
    assert {i["path"] for i in ssh["secret"]["items"]} == {Path(config["sftp"]["private_key_file"]).name,
                                                          Path(config["sftp"]["known_hosts_file"]).name}
    config_mount = mounted[str(Path(IMAGE_ENV["DPS_CONFIG"]).parent)]
    assert config_mount["readOnly"] and "configMap" in config_mount
    assert "emptyDir" in mounted[IMAGE_ENV["HOME"]]


def test_runs_are_kubernetes_jobs_watched_by_run_monitoring_as_on_the_host() -> None:
    host = yaml.safe_load((DEPLOY / "dagster.yaml").read_text(encoding="utf-8"))
    chart = values()
    assert chart["runLauncher"]["type"] == "K8sRunLauncher"
    monitoring = chart["dagsterDaemon"]["runMonitoring"]
    assert monitoring["enabled"] is True
    for host_key, value in host["run_monitoring"].items():
        chart_key = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), host_key)
        assert monitoring[chart_key] == value, chart_key
    assert chart["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"
    pools = chart["concurrency"]["pools"]
    host_pools = host["concurrency"]["pools"]
    assert chart["concurrency"]["enabled"] is True
    assert (pools["defaultLimit"], pools["granularity"]) == (host_pools["default_limit"], host_pools["granularity"])
    assert chart["concurrency"]["runs"]["maxConcurrentRuns"] == host["concurrency"]["runs"]["max_concurrent_runs"]
    for kind in ("schedule", "sensor"):
        days = chart["retention"][kind]["purgeAfterDays"]
        assert {k: days[k] for k in ("skipped", "success", "failure")} == host["retention"][kind]["purge_after_days"]
    assert chart["telemetry"] == {"enabled": False}
    assert chart["dagsterWebserver"]["enableReadOnly"] is True
    assert chart["ingress"]["enabled"] is False


@pytest.mark.parametrize("where", ["dagsterWebserver", "dagsterDaemon", "code location", "run pods"])
def test_every_pod_runs_unprivileged_on_a_read_only_root(where: str) -> None:
    chart = values()
    launcher = chart["runLauncher"]["config"]["k8sRunLauncher"]
    component = {"code location": deployment(), "run pods": {
        "podSecurityContext": launcher["runK8sConfig"]["podSpecConfig"]["securityContext"],
        "securityContext": launcher["securityContext"]}}.get(where) or chart[where]
    pod, container = component["podSecurityContext"], component["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert (pod["runAsUser"], pod["runAsGroup"]) == IMAGE_USER and pod["fsGroup"] == IMAGE_USER[1]
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                         "capabilities": {"drop": ["ALL"]}}


def test_the_database_password_comes_from_an_existing_secret_and_no_secret_is_written() -> None:
    chart = values()
    assert chart["postgresql"]["enabled"] is False
    assert chart["generatePostgresqlPasswordSecret"] is False
    assert chart["global"]["postgresqlSecretName"]
    assert chart["postgresql"]["postgresqlPassword"] == ""

    def literal_secrets(node: Any, path: str = "") -> list[str]:
        if isinstance(node, dict):
            return [p for k, v in node.items() for p in literal_secrets(v, f"{path}.{k}")]
        if isinstance(node, list):
            return [p for i, v in enumerate(node) for p in literal_secrets(v, f"{path}[{i}]")]
        key = path.rsplit(".", 1)[-1]
        holds_a_secret = re.search(r"password|passphrase|secret|token", key, re.I) and not key.endswith("Name")
        return [path] if holds_a_secret and isinstance(node, str) and node else []

    assert literal_secrets(chart) == []
    assert "BEGIN OPENSSH" not in VALUES_FILE.read_text(encoding="utf-8")
