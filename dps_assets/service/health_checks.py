"""Dagster's own health checks of the service's processes, each bounded by a timeout (a hung
process answers nothing), all at once:

- the daemon: `dagster-daemon liveness-check`, which reads every daemon's heartbeat in the
  instance (written every 30 s) and fails when one is older than 30 s plus
  `$DAGSTER_DAEMON_HEARTBEAT_TOLERANCE` (Dagster's default is 30 minutes; the health check sets
  `health.daemon_heartbeat_tolerance_s`);
- the code server: `dagster api grpc-health-check` on its gRPC port;
- a webserver: its `/server_info` page answering with the webserver's version.

What a check reports is the check's own words, never another program's output (which goes to
the health check's journal): an alert holds no secret and no stack trace."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dps_assets.config.health import HealthConfig, HealthUnitConfig
from dps_assets.core.operations.service_health import CheckResult

HEARTBEAT_INTERVAL_S = 30  # dagster-daemon's, fixed
DAEMON_NOT_LIVE = "Daemon(s) not running"  # what liveness-check prints when a heartbeat is stale


def dagster_command(name: str) -> str:
    """A Dagster command of this virtualenv (`dagster-daemon`), beside its python."""
    return str(Path(sys.executable).with_name(name))


def check_units(health: HealthConfig, env: Mapping[str, str]) -> dict[str, CheckResult]:
    """Every unit's check, run at the same time; unit -> result."""
    with ThreadPoolExecutor(max_workers=len(health.units)) as pool:
        futures = {unit.unit: pool.submit(check_unit, unit, health, env) for unit in health.units}
        return {name: future.result() for name, future in futures.items()}


def check_unit(unit: HealthUnitConfig, health: HealthConfig, env: Mapping[str, str]) -> CheckResult:
    timeout_s = health.check_timeout_s
    if unit.check == "daemon":
        return check_daemon(timeout_s, health.daemon_heartbeat_tolerance_s, env)
    if unit.check == "code_server":
        return check_code_server(unit.address or "", timeout_s, env)
    return check_webserver(unit.address or "", timeout_s)


def check_daemon(timeout_s: float, tolerance_s: int, env: Mapping[str, str]) -> CheckResult:
    done = run_check([dagster_command("dagster-daemon"), "liveness-check"], timeout_s,
                     {**env, "DAGSTER_DAEMON_HEARTBEAT_TOLERANCE": str(tolerance_s)})
    if isinstance(done, str):  # it only reads the instance: a restart of the daemon would not help
        return CheckResult(f"dagster-daemon liveness-check {done}: the trouble is the instance's database "
                           "or this host, not the daemon", restart_helps=False)
    if done.returncode == 0:
        return CheckResult()
    if DAEMON_NOT_LIVE in done.stdout:
        return CheckResult(f"no heartbeat from the daemon for over {HEARTBEAT_INTERVAL_S + tolerance_s} s "
                           "(dagster-daemon liveness-check): it is not running, or hung")
    return CheckResult(f"dagster-daemon liveness-check could not read the heartbeats (exit {done.returncode}): "
                       "the instance's database?", restart_helps=False)


def check_code_server(address: str, timeout_s: float, env: Mapping[str, str]) -> CheckResult:
    host, _, port = address.rpartition(":")
    done = run_check([dagster_command("dagster"), "api", "grpc-health-check", "--host", host, "--port", port],
                     timeout_s, env)
    if isinstance(done, str):
        return CheckResult(f"the code server at {address} {done} (dagster api grpc-health-check): hung")
    if done.returncode == 0:
        return CheckResult()
    return CheckResult(f"the code server does not serve at {address} "
                       f"(dagster api grpc-health-check exited {done.returncode})")


def check_webserver(url: str, timeout_s: float) -> CheckResult:
    page = url.rstrip("/") + "/server_info"
    try:
        with urllib.request.urlopen(page, timeout=timeout_s) as answer:  # http(s): validated at load
            info = json.loads(answer.read(65536))
    except urllib.error.HTTPError as exc:
        return CheckResult(f"{page} answered HTTP {exc.code}")
    except TimeoutError:
        return CheckResult(f"{page} did not answer within {timeout_s:g} s: hung")
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return CheckResult(f"{page} did not answer within {timeout_s:g} s: hung")
        return CheckResult(f"{page} is not reachable ({type(exc.reason).__name__}): not running")
    except (OSError, ValueError) as exc:  # a connection reset, an answer that is not JSON
        return CheckResult(f"{page} gave no webserver's answer ({type(exc).__name__})")
    if not isinstance(info, dict) or "dagster_webserver_version" not in info:
        return CheckResult(f"{page} answered, but not as a Dagster webserver does")
    return CheckResult()


def run_check(command: Sequence[str], timeout_s: float,
              env: Mapping[str, str]) -> subprocess.CompletedProcess[str] | str:
    """The command's result, or why there is none (`did not answer within 30 s`). What it
    printed on failure goes to the health check's own output (the journal)."""
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, errors="replace",
                              timeout=timeout_s, env=dict(env), stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return f"did not answer within {timeout_s:g} s"
    except OSError as exc:
        return f"could not be started ({type(exc).__name__})"
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
        print(f"{Path(command[0]).name} {command[1]} exited {done.returncode}: {' | '.join(tail)}", flush=True)
    return done
