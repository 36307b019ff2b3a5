"""The production install (requirements-runtime.lock) carries no test tool and no embedded
server, and the code location loads and builds without them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from dps_assets_tests.support.locks import pins

REPO = Path(__file__).resolve().parents[2]
NOT_IN_PRODUCTION = ("pytest", "selenium", "asyncssh", "aiosmtpd", "duckdb", "import-linter", "ruff", "mypy",
                     "pandas-stubs", "types-pyyaml", "types-paramiko")


def test_the_runtime_lock_has_no_test_tool_or_embedded_server_and_agrees_with_the_full_lock():
    runtime, full = pins("requirements-runtime.lock"), pins("requirements.lock")
    assert [name for name in NOT_IN_PRODUCTION if name in runtime] == []
    needed = {"dagster", "dagster-webserver", "dagster-postgres", "psycopg2-binary", "oracledb", "paramiko", "msal"}
    assert needed <= set(runtime)
    assert {name: version for name, version in runtime.items() if full.get(name) != version} == {}


def test_the_image_lock_is_the_runtime_lock_and_the_kubernetes_run_launcher_every_package_hashed():
    image, runtime = pins("deploy/image/requirements.lock"), pins("requirements-runtime.lock")
    assert [name for name in NOT_IN_PRODUCTION if name in image] == []
    assert {name: version for name, version in runtime.items() if image.get(name) != version} == {}
    assert image["dagster-k8s"] == "0.29.27" and set(image) - set(runtime) >= {"dagster-k8s", "kubernetes"}
    text = (REPO / "deploy/image/requirements.lock").read_text()
    assert text.count(" \\\n    --hash=sha256:") >= len(image)  # `uv pip install --require-hashes` checks each


def test_the_code_location_builds_without_them():
    blocked = ["pytest", "_pytest", "selenium", "asyncssh", "aiosmtpd", "duckdb", "importlinter"]
    script = textwrap.dedent(f"""
        import importlib.abc, sys
        BLOCKED = {blocked!r}
        class Refuse(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"{{name}} is not installed in production")
        for name in [m for m in sys.modules if m.split(".")[0] in BLOCKED]:
            del sys.modules[name]
        sys.meta_path.insert(0, Refuse())
        from dps_assets.config.schema import load_config
        from dps_assets.definitions import build_definitions
        defs = build_definitions(load_config("dps_config.yml"))
        graph = defs.resolve_asset_graph()
        assert len(list(graph.get_all_asset_keys())) >= 12
        import dps_assets.automation.sensors, dps_assets.instance.critical_section
        print("built", len(list(graph.get_all_asset_keys())), "assets")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("built ")
