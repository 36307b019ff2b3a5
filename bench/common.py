"""Small timing and memory helpers for the bench scripts, and the embedded stack the pipeline
benches run on (synthetic warehouse, SFTP server, SMTP server on loopback)."""

from __future__ import annotations

import os
import platform
import resource
import secrets
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH_VAR = REPO / "var" / "bench"
# A fixed "today", so the warehouse of a scale is built once and every run sees the same data.
BENCH_TODAY = date(2026, 11, 22)


@contextmanager
def measured(label: str):
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    print(f"{label:<45} {elapsed:8.2f} s   peak RSS so far {peak_rss_mib():7.0f} MiB", flush=True)


def peak_rss_mib() -> float:
    """This process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_rss_mib() -> float:
    """The largest peak resident set of any waited-for child process."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    """`min .. max` of repeated timings, to show how noisy the machine was."""
    return f"{min(values):.2f} .. {max(values):.2f}"


def machine() -> str:
    cores = os.cpu_count()
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.node()}: {cores} core(s), {memory_gib:.0f} GiB, Python {platform.python_version()}, "
            f"{date.today().isoformat()}")


@dataclass
class BenchStack:
    """The embedded servers, and the configuration that points the pipeline at them."""

    base: Path
    data: Path
    sftp_root: Path
    mailbox: Path
    config_path: Path
    password: str
    servers: list

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()


def embedded_data(scale: float) -> Path:
    """The synthetic warehouse and TCIC store at `scale` (1 = the demo's volume), built once
    under var/bench/ and reused."""
    from dps_assets.embedded.warehouse import TCIC_FILE, WAREHOUSE_FILE, build_embedded_data

    folder = BENCH_VAR / f"data-scale-{scale:g}"
    if not ((folder / WAREHOUSE_FILE).exists() and (folder / TCIC_FILE).exists()):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(mode=0o700, parents=True)
        with measured(f"building the embedded data at scale {scale:g}"):
            build_embedded_data(folder, seed=2025, first_fiscal_year=2024, last_day=BENCH_TODAY, scale=scale)
    return folder


@contextmanager
def bench_stack(base: Path, scale: float, poll_interval_s: int = 5) -> Iterator[BenchStack]:
    """SFTP and SMTP servers on free loopback ports under `base`, the data at `scale`, and a copy
    of the demo configuration pointing at them (its password in the environment)."""
    from dps_assets.embedded.sftp_server_process import start_sftp_server
    from dps_assets.embedded.smtp_server import start_smtp_server
    from dps_assets.embedded.stack import SFTP_USER, StackLayout, write_stack_config

    data = embedded_data(scale)
    layout = StackLayout(base)
    layout.base.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.symlink(data, layout.data)
    password = secrets.token_urlsafe(18)
    os.environ["DPS_SFTP_PASSWORD"] = password
    servers: list = []
    try:
        servers.append(start_sftp_server(layout.sftp_root, host_key_file=layout.host_key,
                                         known_hosts_file=layout.known_hosts, user=SFTP_USER,
                                         password=password))
        servers.append(start_smtp_server(layout.mailbox))
        config = write_stack_config(layout, servers[0].port, int(servers[1].fields["port"]),
                                    base / "dps_config.yml", poll_interval_s=poll_interval_s)
        yield BenchStack(base, data, layout.sftp_root, layout.mailbox, config, password, servers)
    finally:
        for server in reversed(servers):
            server.stop()
