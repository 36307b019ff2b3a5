"""Fetching DPS's files is retried with growing waits when DPS's server cannot be reached (safe:
nothing is sent or moved before delivery); a wrong host key is not retried."""

from __future__ import annotations

from dagster import AssetSelection, materialize

from dps_assets.assets import receiving
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets_tests.support.servers import free_port

Q4 = FiscalQuarter(2026, 4)
FAST = {"retries": 2, "retry_wait_s": 0.05}


def fetch(resources, instance, sftp):
    return materialize([receiving.dps_results], partition_key=Q4.partition_key, instance=instance,
                       resources={**resources, "sftp": sftp}, raise_on_error=False,
                       run_config={"ops": {"dps_results": {"config": FAST}}},
                       selection=AssetSelection.assets(receiving.dps_results))


def events(result, kind: str) -> list:
    return [e for e in result.all_events if e.event_type_value == kind]


def test_an_unreachable_server_is_retried_then_the_step_fails(pipeline_resources, dagster_instance, openssh_server):
    result = fetch(pipeline_resources, dagster_instance, openssh_server.resource(port=free_port(), connect_timeout_s=2))
    assert not result.success
    assert len(events(result, "STEP_UP_FOR_RETRY")) == 2
    [failure] = events(result, "STEP_FAILURE")
    assert "SftpError" in failure.event_specific_data.error.cause.cls_name


def test_a_wrong_host_key_is_not_retried(pipeline_resources, dagster_instance, openssh_server, tmp_path):
    other = tmp_path / "known_hosts"
    other.write_text(f"[127.0.0.1]:{openssh_server.port} ssh-ed25519 "
                     "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n")
    result = fetch(pipeline_resources, dagster_instance, openssh_server.resource(known_hosts_file=str(other)))
    assert not result.success
    assert events(result, "STEP_UP_FOR_RETRY") == []
    [failure] = events(result, "STEP_FAILURE")
    assert failure.event_specific_data.error.cause.cls_name == "HostKeyError"
