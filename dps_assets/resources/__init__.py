"""Every external system the exchange talks to, as a Dagster ConfigurableResource named by its
role, and the one function that builds them all from the validated configuration: each resource
from its section(s), key by key (`settings.from_config`)."""

from __future__ import annotations

from pathlib import Path

from dps_assets.config.delivery import EmailConfig
from dps_assets.config.schema import ExchangeConfig
from dps_assets.resources.database import WarehouseResource
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.local_files import LocalFilesResource
from dps_assets.resources.mailer import Mailer
from dps_assets.resources.operator_alerts import OperatorAlertsResource
from dps_assets.resources.settings import from_config
from dps_assets.resources.sftp import SftpResource
from dps_assets.resources.sharepoint import SharePointResource
from dps_assets.resources.smtp_mailer import SmtpMailer
from dps_assets.resources.stored_frames import StoredFramesIOManager

# email.transport -> the Mailer that sends that way (a second one: see resources/mailer.py).
MAILERS: dict[str, type[Mailer]] = {"smtp": SmtpMailer}

# Keys whose field has another name in a resource fed by several sections.
_SQL_FIELDS = {"export": "export_sql", "sa_98": "sa_98_sql", "county_region": "county_region_sql"}
_RULES_FIELDS = {"fields": "text_fields", "tolerance_days": "match_tolerance_days"}


def build_mailer(email: EmailConfig, **values: object) -> Mailer:
    """The mailer `email.transport` names, with the email section's settings."""
    return from_config(MAILERS[email.transport], email, rename=None, leave_out={"transport"}, **values)


def build_operator_alerts(config: ExchangeConfig, *, without_webhook: bool = False) -> OperatorAlertsResource:
    """The operators' alert channels: `alerts:`, the alert file in the log folder; no webhook
    for a process that does not hold its URL (the service's health check may not)."""
    alert_file = str(Path(config.directories.log_root, "alerts.log"))
    if without_webhook:
        return from_config(OperatorAlertsResource, config.alerts, alert_file=alert_file, webhook_url=None)
    return from_config(OperatorAlertsResource, config.alerts, alert_file=alert_file)


def build_resources(config: ExchangeConfig) -> dict[str, object]:
    return {
        "warehouse": from_config(WarehouseResource, config.database, config.sql, rename=_SQL_FIELDS),
        "sftp": from_config(SftpResource, config.sftp),
        "local_files": from_config(LocalFilesResource, config.directories),
        "exchange_rules": from_config(ExchangeRulesResource, config.export_layout, config.dps_files,
                                      config.matching, config.submission, rename=_RULES_FIELDS),
        "mailer": build_mailer(config.email),
        "sharepoint": from_config(SharePointResource, config.sharepoint),
        "operator_alerts": build_operator_alerts(config),
        # Intermediate frames hold children's records: keep them in the private work folder.
        "io_manager": StoredFramesIOManager(base_dir=str(Path(config.directories.work_root, "dagster-storage"))),
    }
