"""The exchange's configuration: `dps_config.yml`, loaded and validated once.

This schema is where each setting is defined: its default and its checks. The resources declare
the settings they take without defaults and are built from these sections key by key
(`resources/settings.py`).

Secrets never live here. Where a secret is needed the YAML names the environment variable that
holds it (`password_env: DPS_DB_PASSWORD`) and the resource reads it through Dagster's `EnvVar`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from dps_assets.config.delivery import AlertsConfig, EmailConfig, SharePointConfig
from dps_assets.config.export_layout import ExportLayoutConfig
from dps_assets.config.file import ConfigError, describe_validation_error, read_mapping
from dps_assets.config.health import HealthConfig
from dps_assets.config.section import EnvVarName, Section
from dps_assets.config.sql import SqlConfig
from dps_assets.config.values import FileName, HostName, PlainPath, QuarterLabel, private_file_mode, same_remote_folder
from dps_assets.core.exchange.quarters import FiscalQuarter, agency_today, first_quarter_problem

CONFIG_ENV_VAR = "DPS_CONFIG"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
PRODUCTION_CONFIG = PACKAGE_DIR.parent / "dps_config.yml"


class DatabaseConfig(Section):
    driver: Literal["oracle", "duckdb"]
    dsn: str | None = None
    user: str | None = None
    password_env: EnvVarName | None = None
    duckdb_path: PlainPath | None = None
    fetch_batch_rows: int = Field(default=10_000, gt=0)

    @model_validator(mode="after")
    def _driver_settings(self) -> DatabaseConfig:
        if self.driver == "oracle":
            missing = [k for k in ("dsn", "user", "password_env") if not getattr(self, k)]
            if missing:
                raise ValueError(f"driver 'oracle' needs {', '.join(missing)}")
        if self.driver == "duckdb" and not self.duckdb_path:
            raise ValueError("driver 'duckdb' needs duckdb_path")
        return self


class SftpConfig(Section):
    host: HostName
    port: int = Field(default=22, gt=0, lt=65536)
    username: str
    password_env: EnvVarName | None = None
    private_key_file: PlainPath | None = None
    private_key_passphrase_env: EnvVarName | None = None
    known_hosts_file: PlainPath
    from_folder: PlainPath
    to_dfps_folder: PlainPath
    processed_folder: PlainPath | None = Field(default=None, validate_default=True)  # None: <to_dfps_folder>/processed
    connect_timeout_s: float = Field(default=15, gt=0)
    banner_timeout_s: float = Field(default=15, gt=0)
    auth_timeout_s: float = Field(default=15, gt=0)
    io_timeout_s: float = Field(default=60, gt=0)
    remote_file_mode: str | None = Field(default="0600", pattern=r"^0[0-7]{3}$")  # null: the server's
    upload_strategy: Literal["temporary_name", "final_name"] = "temporary_name"  # see sftp_upload

    @field_validator("remote_file_mode")
    @classmethod
    def _private_mode(cls, mode: str | None) -> str | None:
        return private_file_mode(mode)

    @field_validator("to_dfps_folder", "processed_folder")
    @classmethod
    def _distinct_folders(cls, folder: str | None, info: ValidationInfo) -> str | None:
        # DPS picks our file up from from_folder and answers in to_dfps_folder; one folder for
        # both, or delivered files moved back into either, would mix requests and answers.
        others = ["from_folder"] + (["to_dfps_folder"] if info.field_name == "processed_folder" else [])
        for other in others:
            if folder and info.data.get(other) and same_remote_folder(folder, info.data[other]):
                raise ValueError(f"must be a different folder from {other}")
        return folder

    @field_validator("processed_folder")
    @classmethod
    def _processed_beside_the_answers(cls, folder: str | None, info: ValidationInfo) -> str | None:
        to_dfps = info.data.get("to_dfps_folder")
        if folder is None and isinstance(to_dfps, str):
            return f"{to_dfps.rstrip('/')}/processed"
        return folder

    @model_validator(mode="after")
    def _some_auth(self) -> SftpConfig:
        if not self.password_env and not self.private_key_file:
            raise ValueError("set password_env or private_key_file")
        return self


class DirectoriesConfig(Section):
    archive_root: PlainPath
    log_root: PlainPath
    work_root: PlainPath


class DpsFilesConfig(Section):
    results_file_name: FileName = "Dfps-missing-person-results.txt"
    counts_file_name: FileName = "Dfps-missing-person-counts.txt"

    @model_validator(mode="after")
    def _distinct_names(self) -> DpsFilesConfig:
        if self.results_file_name.casefold() == self.counts_file_name.casefold():
            raise ValueError("results_file_name and counts_file_name must differ (DPS sends two files)")
        return self


class SubmissionConfig(Section):
    # An export whose row count moved more than this share from the same quarter's a year
    # earlier (or that is empty) is not uploaded without force.
    max_row_count_change: float = Field(default=0.20, gt=0)


class MatchingConfig(Section):
    tolerance_days: int = Field(default=7, ge=0, le=366)


class ScheduleConfig(Section):
    days_after_quarter_end: int = Field(default=5, ge=1, le=28)
    hour: int = Field(default=6, ge=0, le=23)


class RetentionConfig(Section):
    # How long archived runs (what was sent, what DPS answered, the reports) and run logs are
    # kept; set from the agency's records retention schedule. The daily retention job deletes
    # what is older.
    archive_days: int = Field(default=2555, ge=1)
    log_days: int = Field(default=400, ge=1)


class SensorConfig(Section):
    poll_interval_s: int = Field(default=60, ge=5)
    results_deadline_hours: float = Field(default=6, gt=0)
    default_running: bool = False


class ExchangeConfig(Section):
    # The quarter the exchange went live with: the partitions (the quarters the UI lists and
    # runs are launched for) start there. No default: an agency says when it started.
    first_quarter: QuarterLabel
    database: DatabaseConfig
    sql: SqlConfig
    sftp: SftpConfig
    directories: DirectoriesConfig
    export_layout: ExportLayoutConfig = ExportLayoutConfig()
    dps_files: DpsFilesConfig = DpsFilesConfig()
    matching: MatchingConfig = MatchingConfig()
    submission: SubmissionConfig = SubmissionConfig()
    email: EmailConfig
    sharepoint: SharePointConfig = SharePointConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    sensor: SensorConfig = SensorConfig()
    # Validated at each load (its URL may come from the environment), not made once at import.
    alerts: AlertsConfig = Field(default_factory=dict, validate_default=True)
    retention: RetentionConfig = RetentionConfig()
    health: HealthConfig = HealthConfig()

    @field_validator("first_quarter")
    @classmethod
    def _first_quarter_has_begun(cls, first: FiscalQuarter) -> FiscalQuarter:
        problem = first_quarter_problem(first, agency_today())
        if problem:
            raise ValueError(problem)
        return first

    def secret_variables(self) -> list[str]:
        """The environment variables the configuration names for its secrets (every `*_env`
        key that is set), in file order: what the code server's unit must load as credentials
        (deploy/systemd/dps-exchange-code.service.d/exchange-secrets.conf)."""
        names = []
        for section in self.model_dump().values():
            if isinstance(section, dict):  # a section, not a top-level value such as first_quarter
                names += [value for key, value in section.items() if key.endswith("_env") and value]
        return list(dict.fromkeys(names))


def load_config(path: str | os.PathLike[str] | None = None) -> ExchangeConfig:
    """Read and validate the configuration. Relative paths inside it are resolved against the
    file's folder, so a configuration can travel with its own key and data files."""
    path = Path(path or os.environ.get(CONFIG_ENV_VAR) or PRODUCTION_CONFIG)
    raw = read_mapping(path)
    try:
        config = ExchangeConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(path, exc)) from None
    return _resolve_paths(config, path.resolve().parent)


def _resolve_paths(config: ExchangeConfig, base: Path) -> ExchangeConfig:
    def resolve_path(value: str) -> str:
        expanded = Path(os.path.expanduser(value))
        return str(expanded if expanded.is_absolute() else (base / expanded).resolve())

    def resolve(value: str | None) -> str | None:
        return None if value is None else resolve_path(value)

    database = config.database.model_copy(update={"duckdb_path": resolve(config.database.duckdb_path)})
    sftp = config.sftp.model_copy(
        update={
            "known_hosts_file": resolve(config.sftp.known_hosts_file),
            "private_key_file": resolve(config.sftp.private_key_file),
        }
    )
    email = config.email.model_copy(update={"ca_file": resolve(config.email.ca_file)})
    sharepoint = config.sharepoint.model_copy(update={"ca_file": resolve(config.sharepoint.ca_file)})
    directories = DirectoriesConfig(
        archive_root=resolve_path(config.directories.archive_root),
        log_root=resolve_path(config.directories.log_root),
        work_root=resolve_path(config.directories.work_root),
    )
    return config.model_copy(
        update={"database": database, "sftp": sftp, "email": email, "sharepoint": sharepoint,
                "directories": directories}
    )
