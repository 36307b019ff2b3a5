"""SFTP transfers as the pipeline makes them, on loopback: the atomic upload of End_txt_file.txt
and the verified download of DPS's results, at several sizes, against the embedded SFTP server
(asyncssh) and, with --openssh, the system's OpenSSH sshd as the tests start it.

    .venv/bin/python bench/bench_sftp.py [--sizes-mib 4 16 64] [--openssh]

Production's files are a few MiB (≈60,000 lines of ~70 bytes up, a few thousand entries down);
the larger sizes show the throughput and that memory does not grow with the file."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT.parent))
from common import measured  # noqa: E402
from dps_assets.config.schema import SftpConfig  # noqa: E402
from dps_assets.embedded.sftp_server import start_sftp_server  # noqa: E402
from dps_assets.resources.settings import from_config  # noqa: E402
from dps_assets.resources.sftp import SftpResource  # noqa: E402


@contextmanager
def embedded_server(base: Path) -> Iterator[SftpResource]:
    password = secrets.token_urlsafe(12)
    server = start_sftp_server(base / "root", host_key_file=base / "host_key",
                               known_hosts_file=base / "known_hosts", password=password)
    try:
        sftp = SftpConfig(host="127.0.0.1", port=server.port, username="dps", password_env="DPS_BENCH_SFTP_PASSWORD",
                          known_hosts_file=str(base / "known_hosts"), from_folder="/from_folder",
                          to_dfps_folder="/TO_DFPS")
        yield from_config(SftpResource, sftp, password=password)
    finally:
        server.stop()


@contextmanager
def openssh_server(base: Path) -> Iterator[SftpResource]:
    from dps_assets_tests.support.servers import OpenSshServer

    with OpenSshServer(base) as server:
        yield server.resource()


def write_random(path: Path, size_mib: int) -> None:
    with open(path, "wb") as sink:  # a MiB at a time, so the bench's own memory stays flat
        for _ in range(size_mib):
            sink.write(os.urandom(1024 * 1024))


def transfers(name: str, sftp: SftpResource, work: Path, sizes_mib: list[int]) -> None:
    for size_mib in sizes_mib:
        local = work / f"End_txt_file_{size_mib}.txt"
        write_random(local, size_mib)
        with sftp.session() as session:
            with measured(f"{name}: upload_atomically {size_mib:>4} MiB"):
                upload = session.upload_atomically(local, sftp.from_folder, local.name)
            remote = session.stat(upload.path)
            assert remote is not None
            with measured(f"{name}: download {size_mib:>4} MiB"):
                session.download(remote, work / f"fetched_{size_mib}.txt")
        local.unlink()
        (work / f"fetched_{size_mib}.txt").unlink()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes-mib", type=int, nargs="+", default=[4, 16, 64])
    parser.add_argument("--openssh", action="store_true", help="also against OpenSSH's sshd")
    args = parser.parse_args()
    servers = [("asyncssh", embedded_server)] + ([("openssh", openssh_server)] if args.openssh else [])
    for name, server in servers:
        with tempfile.TemporaryDirectory() as scratch:
            base = Path(scratch)
            (base / "work").mkdir()
            (base / "server").mkdir()
            with server(base / "server") as sftp:
                transfers(name, sftp, base / "work", args.sizes_mib)


if __name__ == "__main__":
    main()
