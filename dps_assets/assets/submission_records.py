"""What `dps_submission` records and says besides uploading: the receipt of a submission and its
metadata, a quarter already submitted, an upload on DPS's server that no run recorded, and our
files that DPS's server would not let us remove.

An upload that no run recorded is what a worker leaves when it dies between the server's rename
and its record: DPS has the file, the ledger does not. The next run of the quarter finds it in
`from_folder` (the file this run would send, byte for byte, and no recorded submission sent
those bytes) and records it as the submission it is, at the time the server gives the file,
instead of uploading it again."""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass

from dagster import AssetExecutionContext, MetadataValue, Output

from dps_assets.assets.common import Metadata, quarter_metadata, utc_text
from dps_assets.assets.run_log import RunLog
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.exchange.submissions import Submission, sent_before
from dps_assets.core.operations.alerts import Alert
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.mailer import Mailer
from dps_assets.resources.operator_alerts import OperatorAlertsResource
from dps_assets.resources.sftp import RemoteFile, SftpError, SftpResource, Upload


@dataclass(frozen=True)
class SubmissionReceipt:
    """What DPS was sent for a quarter: the reconciliation checks its answer against this."""

    quarter_key: str
    remote_path: str
    sha256: str
    rows: int
    submitted_at: float
    archive_folder: str | None


def receipt_metadata(quarter: FiscalQuarter, receipt: SubmissionReceipt, upload: Upload | None,
                     reconciled: bool = False) -> Metadata:
    """`upload`: what this run put on DPS's server, or found there recorded by no run
    (`reconciled`); None when it sent nothing."""
    uploaded = upload is not None and not reconciled
    metadata = {
        **quarter_metadata(quarter),
        "uploaded": uploaded,
        "remote_path": receipt.remote_path,
        "sha256": receipt.sha256,
        "rows": receipt.rows,
        "submitted_at": MetadataValue.timestamp(receipt.submitted_at),
        "submitted_at_utc": utc_text(receipt.submitted_at),
    }
    if upload is not None and not reconciled:
        metadata["bytes"] = upload.size
    if reconciled:
        metadata["reconciled_from_server"] = True
    if upload is not None and upload.left_on_server:
        metadata["left_on_server"] = MetadataValue.json(list(upload.left_on_server))
    if receipt.archive_folder:
        metadata["archive_folder"] = MetadataValue.path(receipt.archive_folder)
    return metadata


def already_submitted(log: RunLog, quarter: FiscalQuarter, earlier: Submission, text_sha256: str,
                      rules: ExchangeRulesResource, sftp: SftpResource) -> Output[SubmissionReceipt]:
    same = earlier.sha256 == text_sha256
    sent_at = utc_text(earlier.submitted_at)
    log.warning(
        f"{quarter.label} was already submitted at {sent_at}; not uploading again "
        f"({'the rebuilt file is identical' if same else 'the rebuilt file differs from what was sent'}). "
        "Set force: true in the run config to upload anyway."
    )
    receipt = SubmissionReceipt(
        quarter.partition_key, f"{sftp.from_folder.rstrip('/')}/{rules.text_file_name}",
        earlier.sha256, earlier.rows, earlier.submitted_at, None,
    )
    return Output(receipt, metadata={
        **receipt_metadata(quarter, receipt, None),
        "rebuilt_file_identical": same,
    })


def unrecorded_upload(log: RunLog, sftp: SftpResource, rules: ExchangeRulesResource, text_file: os.PathLike,
                      text_sha256: str, submissions: list[Submission]) -> RemoteFile | None:
    """The file in DPS's `from_folder` when it is the text file this run would send, byte for
    byte, and no recorded submission sent those bytes: an upload whose run died before recording
    it. None otherwise, without connecting when the ledger already holds those bytes. Looking is
    best effort: a server that cannot be reached, or a folder that cannot be read, is said in the
    run's log and the run goes on as it would have (its upload, if any, fails on its own)."""
    if sent_before(text_sha256, submissions):
        return None  # whatever the folder holds, these bytes were recorded when they were sent
    path = posixpath.join(sftp.from_folder, rules.text_file_name)
    try:
        with sftp.session() as session:
            found = session.stat(path)
            if found is None or found.size != os.stat(text_file).st_size:
                return None
            return found if session.sha256(found) == text_sha256 else None
    except SftpError as exc:
        log.warning(f"could not look at {path} for an upload no run recorded: {exc}")
        return None


def report_left_on_server(context: AssetExecutionContext, log: RunLog, quarter: FiscalQuarter,
                          left: tuple[str, ...], sftp: SftpResource, mailer: Mailer,
                          operator_alerts: OperatorAlertsResource) -> None:
    """Say, in the run's log and to the operators, which of our files (earlier versions of the
    text file, cut uploads: children's records) DPS's server would not let the upload remove."""
    named = ", ".join(left)
    log.warning(f"{quarter.label}: the upload succeeded, but {sftp.where} would not let us remove "
                f"{len(left)} earlier file(s) of ours holding children's records: {named}. Remove "
                "them by hand or ask DPS to; every later upload tries again.")
    more = f" and {len(left) - 1} more" if len(left) > 1 else ""
    operator_alerts.send(Alert(
        f"DPS's server kept {left[0]}{more} after the upload of {quarter.label}",
        [f"{quarter.label} was uploaded to {sftp.where}, but the server refused to remove these files "
         "of ours (an older version of the file moved aside, or a cut upload):", *left,
         "They hold children's records, and stay there until someone removes them."],
        "Remove the files named from DPS's server by hand, or ask DPS to; every later upload tries again.",
        operator_alerts.run_link(context.run_id)), mailer)
