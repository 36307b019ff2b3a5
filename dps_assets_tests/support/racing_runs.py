"""Real runs started at the same moment: `dg launch` processes sharing one
DAGSTER_HOME, the way the UI, the sensor, the schedule and an operator's CLI share an instance.

`ExchangeHome` is one instance folder plus a configuration file pointing at the test's servers;
`race()` starts several CLI runs back to back and waits for all of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import yaml
from dagster import AssetKey, DagsterInstance

from dps_assets.assets.partitions import agency_today, update_quarter_list
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.embedded.dagster_dev import INSTANCE_YAML
from dps_assets.instance.critical_section import POOLS
from dps_assets_tests.support.environment import environment
from dps_assets_tests.support.servers import known_hosts_entry, write_private_file

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "dps_config.demo.yml"
SENDING = "group:to_dps"
RECEIVING = "group:from_dps or group:impact or group:reports or group:delivery"


@dataclass(frozen=True)
class Finished:
    returncode: int
    output: str


class ExchangeHome:
    """A Dagster instance under `base/dagster_home` and a configuration under `base`.

    The instance file is the demo's (SQLite) unless `instance_yaml` is given (the production
    file, on PostgreSQL, whose settings `instance_env` holds). `pools=False` drops the shipped
    pool limits, to show the guards hold on the lock alone."""

    def __init__(self, base: Path, *, sftp: Mapping[str, object], smtp_port: int, duckdb_path: Path,
                 pools: bool, instance_yaml: str = INSTANCE_YAML, instance_env: Mapping[str, str] = {}):
        self.base = base
        self.home = base / "dagster_home"
        self.home.mkdir(mode=0o700, parents=True)
        self.instance_env = dict(instance_env)
        instance = yaml.safe_load(instance_yaml)
        if not pools:
            del instance["concurrency"]["pools"]
        (self.home / "dagster.yaml").write_text(yaml.safe_dump(instance), encoding="utf-8")
        config = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
        config["database"]["duckdb_path"] = str(duckdb_path)
        config["sftp"] = dict(sftp)
        config["email"]["port"] = smtp_port
        config["directories"] = {name: str(base / folder) for name, folder in (
            ("archive_root", "archive"), ("log_root", "logs"), ("work_root", "work"))}
        config["sensor"]["default_running"] = False
        self.config_path = base / "dps_config.yml"
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        # The instance exists before any run starts, as it does in service: two processes that
        # both create a brand-new SQLite storage race in Dagster's own migrations.
        with self.instance() as instance:
            instance.get_runs(limit=1)
            instance.get_latest_materialization_event(AssetKey("dps_submission"))
            # What the calendar sensor's first tick does.
            update_quarter_list(instance, FiscalQuarter.from_label(config["first_quarter"]), agency_today())
            if pools:  # what docs/operations.md's `dagster instance concurrency set <pool> 1` does
                for pool in POOLS:
                    instance.event_log_storage.set_concurrency_slots(pool, 1)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, **self.instance_env, "DAGSTER_HOME": str(self.home),
                "DPS_CONFIG": str(self.config_path)}

    @contextmanager
    def instance(self) -> Iterator[DagsterInstance]:
        # The instance file reads its settings from the environment.
        with environment(self.instance_env), DagsterInstance.from_config(str(self.home)) as instance:
            yield instance

    def submissions(self) -> list:
        from dps_assets.instance.ledger import recorded_submissions

        with self.instance() as instance:
            return recorded_submissions(instance)

    def start(self, select: str, partition_key: str, run_config: Mapping | None = None,
              output: IO[str] | int = subprocess.PIPE) -> subprocess.Popen:
        """A run in its own process; what it prints goes to `output` (a pipe to read, or a file
        for a run nobody reads while it runs: a full pipe would stop it)."""
        # The documented command line for a run (docs/operations.md: `dg launch`, which supersedes
        # `dagster asset materialize`).
        command = [str(Path(sys.executable).with_name("dg")), "launch", "--assets", select,
                   "--partition", partition_key, "-m", "dps_assets.definitions"]
        if run_config:
            command += ["--config-json", json.dumps(run_config)]
        return subprocess.Popen(command, cwd=REPO, env=self.env, stdout=output,
                                stderr=subprocess.STDOUT, text=True)

    def race(self, runs: Sequence[tuple[str, str]], timeout_s: float = 300) -> list[Finished]:
        """Start every (selection, partition key) run at once, then wait for all of them."""
        processes = [self.start(select, key) for select, key in runs]
        finished = []
        for process in processes:
            output, _ = process.communicate(timeout=timeout_s)
            finished.append(Finished(process.returncode, output))
        return finished

    def run(self, select: str, partition_key: str, run_config: Mapping | None = None,
            timeout_s: float = 300) -> Finished:
        process = self.start(select, partition_key, run_config)
        output, _ = process.communicate(timeout=timeout_s)
        return Finished(process.returncode, output)


def openssh_settings(server, base: Path, port: int | None = None, **overrides: object) -> dict:
    """The `sftp` section for `server` (an OpenSshServer), reached on `port` (a link in front of
    it) or its own, with the host key pinned for that port in `base/known_hosts`."""
    port = port or server.port
    known_hosts = write_private_file(base / "known_hosts", known_hosts_entry(port, server.host_public_key))
    return {"host": server.host, "port": port, "username": server.user,
            "private_key_file": str(server.client_key_file), "known_hosts_file": str(known_hosts),
            "from_folder": str(server.from_folder), "to_dfps_folder": str(server.to_dfps_folder),
            "connect_timeout_s": 10, "banner_timeout_s": 10, "auth_timeout_s": 10, **overrides}


def pool_limits_of(instance_yaml: str) -> dict:
    """The concurrency section of an instance file, to compare with INSTANCE_CONCURRENCY."""
    return {"concurrency": {"pools": yaml.safe_load(instance_yaml)["concurrency"]["pools"]}}

