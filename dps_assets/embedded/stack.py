"""The embedded stack: synthetic warehouse and TCIC data, the SFTP server, the simulated DPS and
the SMTP server, started together. Everything lives under one base folder (the demo's is
`var/demo/`):

    data/caps.duckdb, data/tcic.duckdb     the warehouse and DPS's TCIC store
    sftp/root/{from_folder,TO_DFPS}        what the SFTP server serves
    sftp/host_key, sftp/known_hosts        its host key, and the pin the pipeline checks
    dps/                                   the simulated DPS's own files
    mail/                                  every email the SMTP server received (.eml)

    python -m dps_assets.embedded.stack [--config dps_config.demo.yml]

starts it with the ports and paths of the configuration and runs until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from dps_assets.config.schema import PACKAGE_DIR, ExchangeConfig, load_config
from dps_assets.core.privacy.private_files import private_folder
from dps_assets.embedded.process import ReadyProcess
from dps_assets.embedded.sftp_server import EmbeddedSftpServer, start_sftp_server
from dps_assets.embedded.simulated_dps import start_simulated_dps
from dps_assets.embedded.smtp_server import start_smtp_server
from dps_assets.embedded.warehouse import TCIC_FILE, WAREHOUSE_FILE, build_embedded_data

DEMO_CONFIG = PACKAGE_DIR.parent / "dps_config.demo.yml"
SFTP_USER = "dps"
FIRST_FISCAL_YEAR = 2024


@dataclass(frozen=True)
class StackLayout:
    base: Path

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def warehouse(self) -> Path:
        return self.data / WAREHOUSE_FILE

    @property
    def tcic(self) -> Path:
        return self.data / TCIC_FILE

    @property
    def sftp_root(self) -> Path:
        return self.base / "sftp" / "root"

    @property
    def host_key(self) -> Path:
        return self.base / "sftp" / "host_key"

    @property
    def known_hosts(self) -> Path:
        return self.base / "sftp" / "known_hosts"

    @property
    def dps_state(self) -> Path:
        return self.base / "dps"

    @property
    def mailbox(self) -> Path:
        return self.base / "mail"

    @classmethod
    def of(cls, config: ExchangeConfig) -> StackLayout:
        """The layout a configuration's paths point into (data/caps.duckdb two levels down)."""
        if config.database.duckdb_path is None:
            raise ValueError("the embedded stack needs database.duckdb_path")
        layout = cls(Path(config.database.duckdb_path).parent.parent)
        if Path(config.sftp.known_hosts_file) != layout.known_hosts:
            raise ValueError(f"sftp.known_hosts_file should be {layout.known_hosts} for this stack")
        return layout


@dataclass(frozen=True)
class StackSettings:
    sftp_port: int = 0
    smtp_port: int = 0
    sftp_password: str = ""
    dps_delay_s: float = 5
    dps_write_pause_s: float = 0.2
    seed: int = 2025
    scale: float = 1.0
    today: date | None = None


class EmbeddedStack:
    """Starts (and stops, in reverse order) the servers of the embedded stack."""

    def __init__(self, layout: StackLayout, settings: StackSettings):
        self.layout, self.settings = layout, settings
        self.sftp: EmbeddedSftpServer | None = None
        self.smtp: ReadyProcess | None = None
        self.dps: ReadyProcess | None = None

    def ensure_data(self) -> None:
        if not (self.layout.warehouse.exists() and self.layout.tcic.exists()):
            private_folder(self.layout.data)
            build_embedded_data(self.layout.data, seed=self.settings.seed,
                                first_fiscal_year=FIRST_FISCAL_YEAR, last_day=self.settings.today,
                                scale=self.settings.scale)

    def start(self) -> EmbeddedStack:
        private_folder(self.layout.base)
        self.ensure_data()
        try:
            private_folder(self.layout.sftp_root)
            self.sftp = start_sftp_server(
                self.layout.sftp_root, host_key_file=self.layout.host_key,
                known_hosts_file=self.layout.known_hosts, user=SFTP_USER, port=self.settings.sftp_port,
                password=self.settings.sftp_password)
            self.smtp = start_smtp_server(self.layout.mailbox, self.settings.smtp_port)
            self.dps = start_simulated_dps(
                root=self.layout.sftp_root, state=self.layout.dps_state,
                warehouse=self.layout.warehouse, tcic=self.layout.tcic,
                delay_s=self.settings.dps_delay_s, write_pause_s=self.settings.dps_write_pause_s,
                today=self.settings.today)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def sftp_port(self) -> int:
        assert self.sftp is not None
        return self.sftp.port

    @property
    def smtp_port(self) -> int:
        assert self.smtp is not None
        return int(self.smtp.fields["port"])

    def stop(self) -> None:
        for server in (self.dps, self.smtp, self.sftp):
            if server is not None:
                server.stop()

    def __enter__(self) -> EmbeddedStack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def write_stack_config(layout: StackLayout, sftp_port: int, smtp_port: int, path: Path,
                       template: Path = DEMO_CONFIG, poll_interval_s: int = 5) -> Path:
    """A copy of the demo configuration for a stack under another base folder and other ports."""
    config = yaml.safe_load(template.read_text(encoding="utf-8"))
    config["database"]["duckdb_path"] = str(layout.warehouse)
    config["sftp"].update(port=sftp_port, known_hosts_file=str(layout.known_hosts))
    config["email"]["port"] = smtp_port
    config["directories"] = {name: str(layout.base / folder) for name, folder in (
        ("archive_root", "archive"), ("log_root", "logs"), ("work_root", "work"))}
    config["sensor"]["poll_interval_s"] = poll_interval_s
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle, sort_keys=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description="Start the embedded stack until Ctrl-C.")
    parser.add_argument("--config", type=Path, default=DEMO_CONFIG)
    parser.add_argument("--dps-delay-s", type=float, default=5)
    args = parser.parse_args()
    config = load_config(args.config)
    password = os.environ.get(config.sftp.password_env or "", "")
    if not password:
        raise SystemExit(f"set {config.sftp.password_env} to the SFTP password the stack should accept")
    layout = StackLayout.of(config)
    settings = StackSettings(sftp_port=config.sftp.port, smtp_port=config.email.port,
                             sftp_password=password, dps_delay_s=args.dps_delay_s)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with EmbeddedStack(layout, settings) as stack:
        print(f"SFTP   sftp://{SFTP_USER}@127.0.0.1:{stack.sftp_port} serving {layout.sftp_root}")
        print(f"SMTP   127.0.0.1:{stack.smtp_port} keeping mail in {layout.mailbox}")
        print(f"DPS    answers uploads after {settings.dps_delay_s:g} s")
        print(f"data   {layout.warehouse}, {layout.tcic}")
        print("Ctrl-C stops the stack.", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
