"""Every external system the exchange talks to, as a Dagster ConfigurableResource, and the one
function that builds them all from the validated configuration."""

from __future__ import annotations

from pathlib import Path

from dagster import EnvVar, FilesystemIOManager

from dps_assets.config.schema import ExchangeConfig
from dps_assets.resources.database import WarehouseResource
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.local_files import LocalFilesResource
from dps_assets.resources.sftp import SftpResource
from dps_assets.resources.sharepoint import SharePointResource
from dps_assets.resources.smtp import SmtpResource


def _secret(env_name: str | None) -> EnvVar | None:
    """Secrets are read from the environment when a run starts, never stored in config."""
    return EnvVar(env_name) if env_name else None


def build_resources(config: ExchangeConfig) -> dict[str, object]:
    db, sftp, dirs = config.database, config.sftp, config.directories
    layout = config.export_layout
    return {
        "warehouse": WarehouseResource(
            driver=db.driver, dsn=db.dsn, user=db.user, password=_secret(db.password_env),
            duckdb_path=db.duckdb_path, fetch_batch_rows=db.fetch_batch_rows,
            export_sql=config.sql.export, sa_98_sql=config.sql.sa_98,
            county_region_sql=config.sql.county_region,
        ),
        "sftp": SftpResource(
            host=sftp.host, port=sftp.port, username=sftp.username,
            password=_secret(sftp.password_env), private_key_file=sftp.private_key_file,
            private_key_passphrase=_secret(sftp.private_key_passphrase_env),
            known_hosts_file=sftp.known_hosts_file, from_folder=sftp.from_folder,
            to_dfps_folder=sftp.to_dfps_folder,
            processed_folder=sftp.processed_folder or f"{sftp.to_dfps_folder.rstrip('/')}/processed",
            connect_timeout_s=sftp.connect_timeout_s,
            banner_timeout_s=sftp.banner_timeout_s, auth_timeout_s=sftp.auth_timeout_s,
            io_timeout_s=sftp.io_timeout_s,
            remote_file_mode=int(sftp.remote_file_mode, 8) if sftp.remote_file_mode else None,
            upload_strategy=sftp.upload_strategy,
        ),
        "local_files": LocalFilesResource(
            archive_root=dirs.archive_root, log_root=dirs.log_root, work_root=dirs.work_root
        ),
        "exchange_rules": ExchangeRulesResource(
            text_file_name=layout.text_file_name, workbook_file_name=layout.workbook_file_name,
            text_fields=list(layout.fields), delimiter=layout.delimiter,
            line_ending=layout.line_ending, date_format=layout.date_format,
            sex_map=dict(layout.sex_map), race_map=dict(layout.race_map),
            unknown_code=layout.unknown_code,
            results_file_name=config.dps_files.results_file_name,
            counts_file_name=config.dps_files.counts_file_name,
            match_tolerance_days=config.matching.tolerance_days,
            max_row_count_change=config.submission.max_row_count_change,
        ),
        "smtp": SmtpResource(
            host=config.email.host, port=config.email.port, security=config.email.security,
            ca_file=config.email.ca_file, username=config.email.username,
            password=_secret(config.email.password_env),
            sender=config.email.sender, recipients=list(config.email.recipients),
            operators=list(config.email.operators), timeout_s=config.email.timeout_s,
        ),
        "sharepoint": SharePointResource(
            enabled=config.sharepoint.enabled, site_id=config.sharepoint.site_id,
            library_path=config.sharepoint.library_path, tenant_id=config.sharepoint.tenant_id,
            client_id=config.sharepoint.client_id,
            client_secret=_secret(config.sharepoint.client_secret_env),
            graph_url=config.sharepoint.graph_url, login_url=config.sharepoint.login_url,
        ),
        # Intermediate frames hold children's records: keep them in the private work folder.
        "io_manager": FilesystemIOManager(base_dir=str(Path(dirs.work_root, "dagster-storage"))),
    }
