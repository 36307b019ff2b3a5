"""Getting DPS's two files for a quarter: from the SFTP folder when the sensor handed them over
(or nothing is archived yet), from archive/from_dps/ when the quarter is re-materialised later.

The sensor puts what it saw on the run's tags, so the run fetches exactly those files."""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dagster import AssetExecutionContext, Config, RetryRequested
from pydantic import Field

from dps_assets.assets.run_log import this_run_stamp
from dps_assets.core.exchange.agency_time import us_epoch_time
from dps_assets.core.exchange.answer_watch import FileState, choose_quarter
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.privacy.errors import ExchangeError
from dps_assets.instance.ledger import answers_fetched, recorded_submissions
from dps_assets.resources.local_files import FROM_DPS, LocalFilesResource
from dps_assets.resources.sftp import SftpResource
from dps_assets.resources.sftp_errors import HostKeyError, SftpError

TAG_PREFIX = "dps/"
FINGERPRINT_TAG = "dps/fingerprint"


class DpsFileSourceError(ExchangeError, RuntimeError):
    """DPS's files for a quarter cannot be found where they should be."""


class DpsFileGoneError(DpsFileSourceError):
    """The file is no longer in DPS's folder."""


class FetchConfig(Config):
    retries: int = Field(default=3, ge=0, description="fetches retried after a network error (DPS's "
                         "server unreachable or cut off), waiting retry_wait_s, then twice, four times as long")
    retry_wait_s: float = Field(default=30, ge=0, description="the first wait before a retry")
    source: Literal["auto", "sftp", "archive"] = Field(
        default="auto",
        description="auto: the files the sensor saw, else this quarter's archived files, else "
        "the SFTP folder. archive / sftp: only there.",
    )


@dataclass(frozen=True)
class FetchedFile:
    name: str
    local_path: Path
    sha256: str
    size: int
    source: Literal["sftp", "archive"]
    remote_path: str | None
    remote_mtime: int | None


def file_tag(name: str) -> str:
    return f"{TAG_PREFIX}{name}"


def handover_tags(files: tuple[FileState, ...], fingerprint: str) -> dict[str, str]:
    """What the sensor tells the run about the files it saw: for the run, each file's size and
    mtime exactly (`dps/<name>`: `111:1796552154`, which the fetch compares with the server and
    earlier runs carry too); for analysts, the same in words (`dps/counts file`: `111 bytes,
    written Dec 6, 2026 9:14 AM CST`), the results file first, then the counts file."""
    tags = {FINGERPRINT_TAG: fingerprint}
    tags.update({file_tag(f.name): f"{f.size}:{f.mtime}" for f in files})
    for label, file in zip(("results file", "counts file"), files, strict=True):
        tags[f"{TAG_PREFIX}{label}"] = f"{file.size:,} bytes, written {us_epoch_time(file.mtime)}"
    return tags


def fetch_dps_file(context: AssetExecutionContext, quarter: FiscalQuarter, name: str,
                   config: FetchConfig, sftp: SftpResource,
                   local_files: LocalFilesResource) -> FetchedFile:
    seen_by_sensor = context.run.tags.get(file_tag(name))
    if config.source == "archive" or (config.source == "auto" and not seen_by_sensor):
        archived = _latest_archived(local_files, quarter, name)
        if archived is not None:
            return archived
        if config.source == "archive":
            raise DpsFileSourceError(f"{name}: nothing archived for {quarter.label} under "
                                     f"{local_files.archive_folder(FROM_DPS, quarter.tag)}")
    try:
        return _download(context, quarter, name, seen_by_sensor, sftp, local_files)
    except HostKeyError:
        raise  # retrying cannot change DPS's key
    except SftpError:
        # A fetch is safe to retry: nothing is sent or moved until the reports are delivered.
        if context.retry_number < config.retries:
            raise RetryRequested(max_retries=config.retries,
                                 seconds_to_wait=config.retry_wait_s * 2 ** context.retry_number) from None
        raise
    except DpsFileGoneError:
        # A re-execution of a run the sensor started, after DPS's files were delivered and moved
        # aside: the files the sensor saw are the ones archived since (same size).
        archived = _latest_archived(local_files, quarter, name)
        if archived is None or seen_by_sensor is None or archived.size != int(seen_by_sensor.split(":")[0]):
            raise
        return archived


def _latest_archived(local_files: LocalFilesResource, quarter: FiscalQuarter, name: str) -> FetchedFile | None:
    path = local_files.latest_archived(FROM_DPS, quarter.tag, name)
    if path is None:
        return None
    data = path.read_bytes()
    return FetchedFile(name, path, hashlib.sha256(data).hexdigest(), len(data), "archive", None, None)


def _download(context: AssetExecutionContext, quarter: FiscalQuarter, name: str,
              seen_by_sensor: str | None, sftp: SftpResource,
              local_files: LocalFilesResource) -> FetchedFile:
    folder = local_files.work_folder(FROM_DPS, quarter.tag, this_run_stamp(context))
    with sftp.session() as session:
        remote = session.stat(f"{sftp.to_dfps_folder.rstrip('/')}/{name}")
        if remote is None:
            raise DpsFileGoneError(f"{name}: not in {sftp.where}{sftp.to_dfps_folder}")
        if seen_by_sensor:
            size, mtime = (int(v) for v in seen_by_sensor.split(":"))
            if (remote.size, remote.mtime) != (size, mtime):
                raise DpsFileSourceError(
                    f"{remote.path} changed since the sensor saw it ({size} bytes, mtime {mtime} -> "
                    f"{remote.size} bytes, mtime {remote.mtime}); the sensor will pick up the new files")
        else:
            owner = choose_quarter(remote.mtime, recorded_submissions(context.instance),
                                   answers_fetched(context.instance))
            if owner != quarter:
                raise DpsFileSourceError(
                    f"{remote.path} answers {owner.label if owner else 'no submission'}, not "
                    f"{quarter.label}, and nothing is archived for {quarter.label}")
        sha256 = session.download(remote, folder / name)
    return FetchedFile(name, folder / name, sha256, remote.size, "sftp", remote.path, remote.mtime)
