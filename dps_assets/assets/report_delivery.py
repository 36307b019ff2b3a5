"""Delivering a quarter's reports: email (once per quarter), SharePoint if configured, then the
DPS files fetched by this run go to archive/from_dps/ and, on the server, to the processed folder."""

import time
from datetime import datetime, timezone
from pathlib import Path

from dagster import (AssetExecutionContext, AssetKey, AssetObservation, AssetRecordsFilter, Config,
                     DagsterInstance, MetadataValue, Output, asset)
from pydantic import Field

from dps_assets.assets.common import OWNERS, quarter_metadata
from dps_assets.instance.ledger import emailed_before, latest_metadata
from dps_assets.core.emails import report_email
from dps_assets.instance.critical_section import REPORT_DELIVERY, exclusive
from dps_assets.assets.partitions import fiscal_quarter_partitions, quarter_of
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.local_files import FROM_DPS, LocalFilesResource
from dps_assets.resources.sftp import SftpResource
from dps_assets.resources.sharepoint import SharePointResource
from dps_assets.resources.mailer import Mailer
from dps_assets.assets.run_log import RunLog, failures_logged, this_run_stamp

REPORT_ASSETS = ("impact_not_in_dps_report", "dps_not_in_impact_report", "dps_total_runaway_events_report")


class DeliveryConfig(Config):
    force_email: bool = Field(default=False, description="Email the reports even if this quarter "
                              "was emailed before.")


@asset(
    description="The three workbooks emailed to the recipients (once per quarter) and published "
    "to SharePoint if configured; then DPS's files archived under archive/from_dps/.",
    partitions_def=fiscal_quarter_partitions,
    group_name="delivery",
    owners=OWNERS,
    kinds={"email", "sftp"},
    pool=REPORT_DELIVERY,
)
@failures_logged(FROM_DPS)
def dps_report_delivery(context: AssetExecutionContext, config: DeliveryConfig,
                        impact_not_in_dps_report: Path, dps_not_in_impact_report: Path,
                        dps_total_runaway_events_report: Path, mailer: Mailer,
                        sharepoint: SharePointResource, sftp: SftpResource,
                        exchange_rules: ExchangeRulesResource,
                        local_files: LocalFilesResource) -> Output[dict]:
    quarter = quarter_of(context)
    log = RunLog(context, local_files, FROM_DPS, quarter)
    workbooks = [impact_not_in_dps_report, dps_not_in_impact_report, dps_total_runaway_events_report]
    metadata: dict[str, object] = {**quarter_metadata(quarter)}

    # Check, send and record are one critical section: a second run of this quarter waits here,
    # then finds the first one's record and does not email again.
    with exclusive(context.instance, REPORT_DELIVERY, on_wait=log.info):
        emailed_at = emailed_before(context.instance, context.partition_key)
        if emailed_at and not config.force_email:
            log.warning(f"{quarter.label} was emailed at {_iso(emailed_at)}; not emailing again "
                        "(set force_email: true in the run config to send anyway)")
        else:
            message = _report_message(context, quarter, mailer, workbooks)
            mailer.send(message)  # returns once the relay accepted the message (250 after DATA)
            emailed_at = time.time()
            # Recorded the moment the relay accepts it: should SharePoint or the archiving fail
            # after this, the run fails but a re-run still knows the quarter was emailed.
            context.log_event(AssetObservation(
                asset_key=context.asset_key, partition=context.partition_key,
                metadata={"emailed_at": emailed_at, "emailed_at_utc": _iso(emailed_at),
                          "message_id": message["Message-ID"]}))
            log.info(f"{quarter.label}: emailed {len(workbooks)} workbook(s) to {len(mailer.recipients)} "
                     f"recipient(s) through {mailer.where}")
            metadata["message_id"] = message["Message-ID"]
    metadata["emailed_at"] = emailed_at
    metadata["emailed_at_utc"] = _iso(emailed_at)

    published = sharepoint.publish(workbooks, quarter.tag)
    if published:
        log.info(f"{quarter.label}: published {len(published)} workbook(s) to SharePoint")
        metadata["sharepoint"] = MetadataValue.json(published)

    archive = _archive_dps_files(context, quarter, sftp, exchange_rules, local_files, log)
    if archive:
        metadata["archive_folder"] = MetadataValue.path(str(archive))
    metadata["workbooks"] = MetadataValue.json([str(p) for p in workbooks])
    return Output({"emailed_at": emailed_at, "workbooks": [str(p) for p in workbooks]}, metadata=metadata)


def _report_message(context, quarter, mailer: Mailer, workbooks: list[Path]):
    rows = {name: int(latest_metadata(context.instance, name, context.partition_key)[1]
                      .get("dagster/row_count", 0)) for name in REPORT_ASSETS}
    _, matching = latest_metadata(context.instance, "runaway_event_matches", context.partition_key)
    summary = {label: int(matching.get(key, 0)) for key, label in (
        ("entries_in_window", "DPS entries in the window"),
        ("entries_outside_window", "DPS entries outside the window (not used)"),
        ("events_reported_to_dps", "IMPACT runaway events reported to DPS"))}
    return report_email(quarter.label, mailer.sender, mailer.recipients, workbooks,
                        {p.name: rows[a] for p, a in zip(workbooks, REPORT_ASSETS)}, summary)


def _archive_dps_files(context, quarter, sftp: SftpResource, rules: ExchangeRulesResource,
                       local_files: LocalFilesResource, log: RunLog) -> Path | None:
    """Archive the DPS files this run downloaded; re-runs that read the archive move nothing."""
    fetched = []
    for key in ("dps_results", "dps_counts"):
        run_id, metadata = latest_metadata(context.instance, key, context.partition_key)
        if run_id == context.run_id and metadata.get("source") == "sftp":
            fetched.append(metadata)
    if not fetched:
        return None
    stamp = this_run_stamp(context)
    local = [Path(m["file"]) for m in fetched]
    archived = local_files.archive_files(FROM_DPS, quarter.tag, stamp, local)
    for path in local:
        path.unlink()
    with sftp.session() as session:
        for metadata in fetched:
            name = Path(metadata["remote_path"]).name
            if session.stat(metadata["remote_path"]) is None:
                # Another run of this quarter, fetching the same files, delivered and moved them first.
                log.info(f"{quarter.label}: {metadata['remote_path']} was already moved aside on the server")
                continue
            moved = session.move(metadata["remote_path"], sftp.processed_folder, f"{quarter.tag}_{stamp}_{name}")
            log.info(f"{quarter.label}: moved {metadata['remote_path']} to {moved} on the server")
    log.info(f"{quarter.label}: archived DPS's files in {archived[0].parent}")
    return archived[0].parent


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(float(epoch), timezone.utc).isoformat(timespec="seconds")
