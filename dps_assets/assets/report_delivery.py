"""Delivering a quarter's reports: email (once per quarter, see `core.email_record`), linking each
workbook where its report asset published it to SharePoint (if configured); then the DPS files
fetched by this run go to archive/from_dps/ and, on the server, to the processed folder. A run
that stops at the email (sent before, or maybe sent by a run that died mid-send) moves and removes
nothing: DPS's files stay until the quarter's email is confirmed.
Which reports there are comes from the registry (`assets.report_kinds`): each is an input, an
attachment and a line of the email; the email's counts come from the inputs, not the event log."""

import time
from collections.abc import Sequence
from pathlib import Path

from dagster import AssetExecutionContext, AssetIn, AssetObservation, AssetsDefinition, Config, MetadataValue, Output
from pydantic import Field

from dps_assets.assets.common import Metadata, quarter_metadata, utc_text
from dps_assets.assets.quarterly import quarter_and_log, quarterly_asset
from dps_assets.assets.report_kinds import REPORTS
from dps_assets.assets.report_registry import ReportKind, check_distinct
from dps_assets.assets.run_log import RunLog, this_run_stamp
from dps_assets.core.exchange.email_record import EmailAction, email_action
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.reconciliation.emails import report_email
from dps_assets.core.reconciliation.matching import MatchResult
from dps_assets.core.reconciliation.reports import ReportWorkbook, matching_summary
from dps_assets.instance.critical_section import REPORT_DELIVERY, exclusive
from dps_assets.instance.ledger import latest_email_record, latest_metadata, other_runs_in_flight
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.local_files import FROM_DPS, LocalFilesResource
from dps_assets.resources.mailer import Mailer
from dps_assets.resources.sftp import SftpResource

# The matching is an input for the numbers the email states (core.reconciliation.emails.MATCHING_LINES).
MATCHING = "runaway_event_matches"


class DeliveryConfig(Config):
    force_email: bool = Field(default=False, description="Email the reports even if this quarter "
                              "was emailed before, or may have been by a run that ended mid-send.")
    email_arrived: str | None = Field(default=None, description="The Message-ID of an email a run "
                                      "ended sending (its failure names it), found in a recipient's "
                                      "mailbox: recorded as emailed, and not sent again.")


# Assets whose stored frames (Dagster's IO manager, under work_root) hold names or dates of birth.
PERSONAL_FRAMES = ("dps_export", "dps_export_rejected", "dps_results", "sa_98", "runaway_event_matches")


def report_delivery_asset(kinds: Sequence[ReportKind]) -> AssetsDefinition:
    """`dps_report_delivery` for the reports `kinds`: each report's workbook is an input,
    attached to the email (in `kinds`' order) and published."""
    check_distinct(kinds)

    def dps_report_delivery(context: AssetExecutionContext, config: DeliveryConfig,
                            runaway_event_matches: MatchResult,
                            mailer: Mailer, sftp: SftpResource,
                            exchange_rules: ExchangeRulesResource, local_files: LocalFilesResource,
                            **written: ReportWorkbook) -> Output[dict]:
        reports = [written[kind.name] for kind in kinds]
        return _deliver(context, config, reports, matching_summary(runaway_event_matches), mailer,
                        sftp, exchange_rules, local_files)

    return quarterly_asset(
        half=FROM_DPS, group="delivery",
        name="dps_report_delivery",
        description=f"The quarter's {_in_words(len(kinds))} report workbooks emailed to the analysts, once per "
        "quarter (a quarter run again is not emailed again unless asked), with each workbook's "
        "SharePoint link when the reports are published there; then DPS's files are archived and "
        "moved aside on DPS's server.",
        kinds={"email", "sftp"},
        pool=REPORT_DELIVERY,
        ins={MATCHING: AssetIn(), **{kind.name: AssetIn() for kind in kinds}},
    )(dps_report_delivery)


def _in_words(count: int) -> str:
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return words[count] if count < len(words) else f"{count:,}"


def _deliver(context: AssetExecutionContext, config: DeliveryConfig, reports: list[ReportWorkbook],
             matching: dict[str, int], mailer: Mailer, sftp: SftpResource, exchange_rules: ExchangeRulesResource,
             local_files: LocalFilesResource) -> Output[dict]:
    quarter, log = quarter_and_log(context, local_files, FROM_DPS)
    workbooks = [report.path for report in reports]
    metadata: Metadata = {**quarter_metadata(quarter)}

    # Check, send and record are one critical section: a second run of this quarter waits here,
    # then finds the first one's record and does not email again. A run that dies between the
    # intent and the confirmation leaves the intent alone, and the next run asks the operator.
    with exclusive(context.instance, REPORT_DELIVERY, on_wait=log.info):
        latest = latest_email_record(context.instance, context.partition_key)
        action = email_action(quarter.label, latest, config.force_email, config.email_arrived)
        if latest is not None and action is not EmailAction.SEND:
            emailed_at = latest.at
            if action is EmailAction.ARRIVED:
                _record_email(context, quarter, latest.message_id, emailed_at, confirmed_by="operator")
                log.info(f"{quarter.label}: recorded the email {latest.message_id} handed to the relay at "
                         f"{utc_text(emailed_at)} as arrived (email_arrived); not emailing again")
            else:
                log.warning(f"{quarter.label} was emailed at {utc_text(emailed_at)}; not emailing again "
                            "(set force_email: true in the run config to send anyway)")
        else:
            if latest is not None and not latest.confirmed:
                log.warning(f"{quarter.label}: the email {latest.message_id} handed to the relay at "
                            f"{utc_text(latest.at)} was never confirmed; sending the reports again (force_email)")
            message = report_email(quarter, mailer.sender, mailer.recipients, reports, matching,
                                   mailer.report_email_settings)
            message_id = str(message["Message-ID"])  # ours (core.emails.report_email), on the message
            # The intent is in the ledger before the relay can hold the message; the confirmation
            # once it has answered 250. Should SharePoint or the archiving fail after this, the
            # run fails but a re-run still knows the quarter was emailed.
            mailer.send(message, before_handover=lambda: _record_intent(
                context, quarter, message_id, len(mailer.recipients), mailer.where, log))
            emailed_at = time.time()
            _record_email(context, quarter, message_id, emailed_at, confirmed_by="relay")
            log.info(f"{quarter.label}: emailed {len(workbooks)} workbook(s) to {len(mailer.recipients)} "
                     f"recipient(s) through {mailer.where}")
            metadata["message_id"] = message_id
    metadata["emailed_at"] = MetadataValue.timestamp(emailed_at)
    metadata["emailed_at_utc"] = utc_text(emailed_at)

    published = [report for report in reports if report.web_url]
    if published:  # by the report assets (assets.reports), before the email that links them
        metadata["sharepoint"] = MetadataValue.md("\n".join(f"- [{r.path.name}]({r.web_url})" for r in published))

    archive = _archive_dps_files(context, quarter, sftp, exchange_rules, local_files, log)
    if archive:
        metadata["archive_folder"] = MetadataValue.path(str(archive))
    # Delivered: the quarter's working copies of children's records go (the archive keeps what
    # was sent and received; a later re-run rebuilds every frame it needs in its own run).
    # Another run of this quarter still needs them (a second receiving run, a re-run of the
    # sending half): the last run of the quarter to deliver removes them.
    busy = other_runs_in_flight(context.instance, quarter.partition_key, context.run_id)
    if busy:
        removed = []
        log.info(f"{quarter.label}: working copies left for run(s) {', '.join(r[:8] for r in busy)} "
                 "of this quarter, still in flight, to remove")
    else:
        removed = local_files.remove_working_copies(quarter.tag, quarter.partition_key, list(PERSONAL_FRAMES))
        log.info(f"{quarter.label}: removed {len(removed)} working cop(ies) of children's records: "
                 f"{', '.join(str(p) for p in removed) or 'none left'}")
    metadata["working_copies_removed"] = len(removed)
    metadata["workbooks"] = MetadataValue.json([str(p) for p in workbooks])
    return Output({"emailed_at": emailed_at, "workbooks": [str(p) for p in workbooks]}, metadata=metadata)


def _record_intent(context: AssetExecutionContext, quarter: FiscalQuarter, message_id: str, recipients: int,
                   where: str, log: RunLog) -> None:
    context.log_event(AssetObservation(
        asset_key=context.asset_key, partition=context.partition_key,
        metadata={"fiscal_quarter": quarter.label, "message_id": message_id, "recipients": recipients,
                  "email_intent_at": MetadataValue.timestamp(time.time())}))
    log.info(f"{quarter.label}: handing the email {message_id} to {where}")


def _record_email(context: AssetExecutionContext, quarter: FiscalQuarter, message_id: str, emailed_at: float,
                  confirmed_by: str) -> None:
    context.log_event(AssetObservation(
        asset_key=context.asset_key, partition=context.partition_key,
        metadata={"fiscal_quarter": quarter.label, "message_id": message_id,
                  "emailed_at": MetadataValue.timestamp(emailed_at), "emailed_at_utc": utc_text(emailed_at),
                  "confirmed_by": confirmed_by}))


def _archive_dps_files(context, quarter, sftp: SftpResource, rules: ExchangeRulesResource,
                       local_files: LocalFilesResource, log: RunLog) -> Path | None:
    """Archive the DPS files this run downloaded, or the run it re-executes from failure (whose
    fetch steps it does not repeat); re-runs that read the archive move nothing."""
    fetched = []
    lineage = _this_run_and_its_ancestors(context.instance, context.run_id)
    for key in ("dps_results", "dps_counts"):
        run_id, metadata = latest_metadata(context.instance, key, context.partition_key)
        if run_id in lineage and metadata.get("source") == "sftp" and Path(metadata["file"]).is_file():
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


def _this_run_and_its_ancestors(instance, run_id: str) -> set[str]:
    """A re-execution's parents, up to the root: a re-execution from failure keeps its parent's
    fetched files as they were, and delivers them."""
    lineage, run = set(), instance.get_run_by_id(run_id)
    while run is not None and run.run_id not in lineage:
        lineage.add(run.run_id)
        run = instance.get_run_by_id(run.parent_run_id) if run.parent_run_id else None
    return lineage


dps_report_delivery = report_delivery_asset(REPORTS)
