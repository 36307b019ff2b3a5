"""The sending half: children in conservatorship -> export files -> DPS's SFTP folder."""

import dataclasses
import hashlib
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetObservation,
    AssetOut,
    BackfillPolicy,
    Config,
    MetadataValue,
    Output,
)
from dagster_pandera import pandera_schema_to_dagster_type
from pydantic import Field

from dps_assets.assets.common import OWNERS, frame_metadata, path_metadata, quarter_metadata, utc_text
from dps_assets.assets.partitions import refuse_multi_quarter_backfill
from dps_assets.assets.quarterly import quarter_and_log, quarterly_asset, quarterly_multi_asset
from dps_assets.assets.run_log import this_run_stamp
from dps_assets.assets.submission_records import (
    SubmissionReceipt,
    already_submitted,
    receipt_metadata,
    report_left_on_server,
    unrecorded_upload,
)
from dps_assets.core.exchange.submissions import check_can_submit, judge_export_size, size_refused
from dps_assets.core.export.counties import with_report_counties
from dps_assets.core.export.text_file import render_text_file
from dps_assets.core.export.workbook import build_export_workbook
from dps_assets.core.export.wrangling import wrangle_export
from dps_assets.core.impact.regions import build_region_lookup
from dps_assets.core.privacy.errors import ExchangeError
from dps_assets.core.privacy.private_files import write_private
from dps_assets.core.schemas import EXPORT_REJECTED_SCHEMA, EXPORT_SCHEMA, validate
from dps_assets.core.workbooks.writer import created_item
from dps_assets.instance.critical_section import DPS_FOLDER, exclusive
from dps_assets.instance.ledger import answers_fetched, recorded_submissions
from dps_assets.resources.database import WarehouseResource
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.local_files import TO_DPS, LocalFilesResource
from dps_assets.resources.mailer import Mailer
from dps_assets.resources.operator_alerts import OperatorAlertsResource
from dps_assets.resources.sftp import SftpResource, Upload

GROUP = "to_dps"
# A backfill of the sending half becomes one run over the range, which `quarter_of` refuses: one
# clear failure instead of a run per quarter, each uploading over the last.
ONE_RUN = BackfillPolicy.single_run()


@dataclass(frozen=True)
class ExportFiles:
    text_file: Path
    workbook: Path
    text_sha256: str
    rows: int


@quarterly_multi_asset(
    half=TO_DPS, group=GROUP,
    outs={
        "dps_export": AssetOut(
            description="Children in conservatorship during the quarter's fiscal-year-to-date "
            "window, cleaned, one row per child: the list DPS searches its records for.",
            dagster_type=pandera_schema_to_dagster_type(EXPORT_SCHEMA),
            owners=OWNERS,
            kinds={"oracle", "pandas"},
        ),
        "dps_export_rejected": AssetOut(
            description="Children the export found but did not send to DPS, each with the reason "
            "(a missing or unusable person id, name or date of birth); the Rejected sheet of the "
            "export workbook lists them for analysts to correct in IMPACT.",
            dagster_type=pandera_schema_to_dagster_type(EXPORT_REJECTED_SCHEMA),
            owners=OWNERS,
            kinds={"oracle", "pandas"},
        ),
    },
    backfill_policy=ONE_RUN,
)
def dps_export(context: AssetExecutionContext, warehouse: WarehouseResource,
               exchange_rules: ExchangeRulesResource, local_files: LocalFilesResource):
    refuse_multi_quarter_backfill(context)
    quarter, log = quarter_and_log(context, local_files, TO_DPS)
    rows = warehouse.conservatorship(quarter.window_start, quarter.window_end)
    log.info(f"{quarter.label}: export query returned {len(rows)} row(s) "
             f"for {quarter.window_start} .. {quarter.window_end}")
    split = wrangle_export(rows, quarter.window_end, exchange_rules.code_maps,
                           exchange_rules.text_layout.length_limits())
    # Counties spelled as the reports spell them. The sending half runs without the receiving
    # half's county_region_lookup asset: the same query, read here.
    split = with_report_counties(split, build_region_lookup(warehouse.county_regions()))
    sent = validate(EXPORT_SCHEMA, split.sent, f"dps_export {quarter.label}")
    rejected = validate(EXPORT_REJECTED_SCHEMA, split.rejected, f"dps_export_rejected {quarter.label}")
    reasons = Counter(reason for cell in rejected["REASON"] for reason in cell.split("; "))
    log.info(f"{quarter.label}: {len(sent)} child(ren) to send, {len(rejected)} row(s) rejected, "
             f"{split.duplicates_dropped} duplicate row(s) merged")
    yield Output(sent, output_name="dps_export", metadata={
        **quarter_metadata(quarter), **frame_metadata(sent),
        "query_rows": len(rows), "duplicates_merged": split.duplicates_dropped,
        "sex_codes": MetadataValue.json(dict(Counter(sent["SEX"]))),
        "race_codes": MetadataValue.json(dict(Counter(sent["RACE"]))),
    })
    yield Output(rejected, output_name="dps_export_rejected", metadata={
        **quarter_metadata(quarter), **frame_metadata(rejected),
        "reasons": MetadataValue.json(dict(reasons)),
    })


@quarterly_asset(
    half=TO_DPS, group=GROUP,
    description="The quarter's export as two files: the workbook end_export.xlsx for analysts "
    "(the children sent, those left out and why, and where the list came from) and the text file "
    "End_txt_file.txt in the layout DPS reads.",
    kinds={"excel", "file"},
    ins={"dps_export": AssetIn(), "dps_export_rejected": AssetIn()},
    backfill_policy=ONE_RUN,
)
def dps_export_files(context: AssetExecutionContext, dps_export: pd.DataFrame,
                     dps_export_rejected: pd.DataFrame, exchange_rules: ExchangeRulesResource,
                     local_files: LocalFilesResource) -> Output[ExportFiles]:
    quarter, log = quarter_and_log(context, local_files, TO_DPS)
    folder = local_files.work_folder(TO_DPS, quarter.tag, this_run_stamp(context))
    text = render_text_file(dps_export, exchange_rules.text_layout)
    text_sha256 = hashlib.sha256(text).hexdigest()
    text_path = write_private(folder / exchange_rules.text_file_name, text)
    workbook_path = folder / exchange_rules.workbook_file_name
    build_export_workbook(
        workbook_path, dps_export, dps_export_rejected,
        about=[
            ("Partition", quarter.label),
            ("Window start", quarter.window_start),
            ("Window end", quarter.window_end),
            ("Rows sent", len(dps_export)),
            ("Rows rejected", len(dps_export_rejected)),
            ("Text file", exchange_rules.text_file_name),
            ("Text file SHA-256", text_sha256),
            created_item(datetime.now(UTC)),
        ],
    )
    log.info(f"{quarter.label}: wrote {text_path.name} ({len(text)} bytes, sha256 {text_sha256}) "
             f"and {workbook_path.name}")
    files = ExportFiles(text_path, workbook_path, text_sha256, len(dps_export))
    return Output(files, metadata={
        **quarter_metadata(quarter),
        "text_file": path_metadata(text_path),
        "text_file_bytes": len(text),
        "text_file_sha256": text_sha256,
        "workbook": path_metadata(workbook_path),
        "workbook_sha256": hashlib.sha256(workbook_path.read_bytes()).hexdigest(),
        "rows": len(dps_export),
    })


class SubmissionConfig(Config):
    force: bool = Field(
        default=False,
        description="Upload even if this quarter was submitted before, or another quarter is "
        "still waiting for DPS's answer (its request is then overwritten). The same file found in "
        "DPS's pickup folder, uploaded by a run that stopped before recording it, is recorded, not "
        "sent again.",
    )


@quarterly_asset(
    half=TO_DPS, group=GROUP,
    description="The quarter's text file delivered to DPS's pickup folder on its SFTP server "
    "(whole or not at all), and both export files kept in the archive. A quarter already sent is "
    "not uploaded again unless the run sets force: true. When DPS's folder already holds the very "
    "file this run would send (a run stopped after uploading it), that file is recorded as the "
    "quarter's submission instead of being sent twice.",
    kinds={"sftp"},
    backfill_policy=ONE_RUN,
    pool=DPS_FOLDER,
)
def dps_submission(context: AssetExecutionContext, config: SubmissionConfig,
                   dps_export_files: ExportFiles, sftp: SftpResource,
                   exchange_rules: ExchangeRulesResource, local_files: LocalFilesResource,
                   mailer: Mailer, operator_alerts: OperatorAlertsResource) -> Output[SubmissionReceipt]:
    quarter, log = quarter_and_log(context, local_files, TO_DPS)
    files = dps_export_files
    # Check, upload and record are one critical section: two runs started together (UI,
    # sensor, schedule, CLI) cannot both pass the check, and the second one sees the first's record.
    with exclusive(context.instance, DPS_FOLDER, on_wait=log.info):
        submissions = recorded_submissions(context.instance)
        # Before any rule: DPS's folder may hold this very file, uploaded by a run that died
        # before its record. DPS has it, so it is recorded, whatever the rules would say now.
        found = unrecorded_upload(log, sftp, exchange_rules, files.text_file, files.text_sha256, submissions)
        if found is not None:
            upload = Upload(found.path, found.size, files.text_sha256)
            submitted_at = float(found.mtime) if found.mtime else time.time()  # when it was written
        else:
            earlier = check_can_submit(quarter, submissions, answers_fetched(context.instance), config.force)
            if earlier is not None:
                return already_submitted(log, quarter, earlier, files.text_sha256, exchange_rules, sftp)
            problem = judge_export_size(files.rows, quarter, submissions,
                                        exchange_rules.max_row_count_change).problem
            if problem and not config.force:
                raise size_refused(problem)
            with sftp.session() as session:
                # Only the holder of this lock uploads into from_folder, so an unfinished upload
                # found there is one whose run has died, however recent: swept.
                upload = session.upload_atomically(files.text_file, sftp.from_folder,
                                                   exchange_rules.text_file_name, sole_uploader=True)
            submitted_at = time.time()
        receipt = SubmissionReceipt(quarter.partition_key, upload.path, upload.sha256, files.rows, submitted_at, None)
        # The record exists before the lock is released, and before anything else can fail.
        context.log_event(AssetObservation(asset_key=context.asset_key, partition=context.partition_key,
                                           metadata=receipt_metadata(quarter, receipt, upload, found is not None)))
    if found is not None:
        log.warning(f"{quarter.label}: {upload.path} on DPS's server is the file this run would send "
                    f"(sha256 {upload.sha256}), written there at {utc_text(submitted_at)} by a run that "
                    "died before recording it; recorded as this quarter's submission, not uploaded again")
    else:
        log.info(f"{quarter.label}: uploaded {upload.path} ({upload.size} bytes, sha256 {upload.sha256})")
    if upload.left_on_server:
        report_left_on_server(context, log, quarter, upload.left_on_server, sftp, mailer, operator_alerts)
    if upload.sha256 != files.text_sha256:
        raise UploadMismatchError(f"{upload.path}: the bytes sent differ from {files.text_file} "
                                  "as written (it changed on disk during the run); the upload is recorded")
    # Archived once sent (spec §3): a run killed mid-upload leaves no archive of a file never sent.
    archived = local_files.archive_files(TO_DPS, quarter.tag, this_run_stamp(context),
                                         [files.text_file, files.workbook])
    log.info(f"{quarter.label}: archived the sent files to {archived[0].parent}")
    receipt = dataclasses.replace(receipt, archive_folder=str(archived[0].parent))
    return Output(receipt, metadata=receipt_metadata(quarter, receipt, upload, found is not None))


class UploadMismatchError(ExchangeError, RuntimeError):
    """What was sent is not the file the run wrote."""
