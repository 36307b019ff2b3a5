"""A failed run alerts the operators whatever launched it: a run of the asset graph from the CLI
(`dg launch`, the same `__ASSET_JOB` an asset page launches) is not a run of the
location's named jobs, and a sensor watching only those never saw it. The real sensor is
evaluated tick by tick on the instance the CLI run used."""

from __future__ import annotations

import json

from dagster import build_sensor_context

from dps_assets.config.schema import load_config
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.definitions import build_definitions
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets.resources import build_resources
from dps_assets_tests.conftest import TODAY
from dps_assets_tests.support.racing_runs import SENDING, ExchangeHome, openssh_settings

Q4 = FiscalQuarter.latest_closed(TODAY)


def test_a_failed_cli_run_of_the_asset_graph_alerts_with_a_link_and_what_to_do(tmp_path, openssh_server,
                                                                              embedded_data, smtp_mailbox):
    port, mailbox = smtp_mailbox
    sftp = openssh_settings(openssh_server, tmp_path, from_folder=str(openssh_server.from_folder / "missing"))
    home = ExchangeHome(tmp_path / "home", sftp=sftp, smtp_port=port, duckdb_path=embedded_data / "caps.duckdb",
                        pools=True)
    config = load_config(home.config_path)
    defs = build_definitions(config)
    sensor = defs.resolve_sensor_def("run_failure_alert")
    resources = {k: v for k, v in build_resources(config).items() if k in ("mailer", "local_files", "operator_alerts")}

    with home.instance() as instance:
        first = sensor.evaluate_tick(build_sensor_context(instance=instance, definitions=defs, resources=resources))
        failed = home.run(SENDING, Q4.partition_key)
        assert failed.returncode != 0
        [run] = instance.get_runs()
        assert run.job_name == "__ASSET_JOB"
        sensor.evaluate_tick(build_sensor_context(instance=instance, definitions=defs, resources=resources,
                                                  cursor=first.cursor))

    [email] = read_mailbox(mailbox)
    assert email["Subject"] == f"[DPS exchange] __ASSET_JOB failed for {Q4.label}"
    body = email.get_content()
    assert "Step dps_submission: SftpError: " in body
    assert f"Run: http://127.0.0.1:3000/runs/{run.run_id}" in body
    assert "What to do: Check that DPS's SFTP server is reachable" in body
    [line] = (home.base / "logs" / "alerts.log").read_text().splitlines()
    assert json.loads(line)["link"].endswith(run.run_id)


def test_a_cli_run_is_tagged_with_its_quarter(tmp_path, openssh_server, embedded_data):
    sftp = openssh_settings(openssh_server, tmp_path)
    openssh_server.reset()
    home = ExchangeHome(tmp_path / "home", sftp=sftp, smtp_port=1, duckdb_path=embedded_data / "caps.duckdb",
                        pools=True)
    assert home.run(SENDING, Q4.partition_key).returncode == 0
    with home.instance() as instance:
        [run] = instance.get_runs()
    assert run.tags["fiscal_quarter"] == Q4.label
