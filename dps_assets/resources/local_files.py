"""The exchange's own folders: archive, logs and work files. Folders are created 0700 and files
0600; an archived file is never overwritten, and an archive folder appears whole or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from dps_assets.core.privacy.errors import ExchangeError, os_reason
from dps_assets.core.privacy.private_files import FILE_MODE, PrivateFileError, private_folder

PARTIAL_SUFFIX = ".partial"


class ArchiveError(ExchangeError, OSError):
    """Archiving failed; the message names the path and the operating system's reason."""

# The two halves of the exchange; each has its own folder under archive/, logs/ and work/.
TO_DPS = "to_dps"
FROM_DPS = "from_dps"


def run_stamp(run_id: str, moment: datetime | None = None) -> str:
    """`20261122T031500Z_1a2b3c4d`: sorts by time, unique per run."""
    moment = moment or datetime.now(UTC)
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}_{run_id[:8]}"


class LocalFilesResource(ConfigurableResource):
    """Archive, log and work folders on the machine that runs the pipeline."""

    archive_root: str = Field(description="production: /home/scripts/dps_batch/archive/")
    log_root: str = Field(description="production: /home/scripts/dps_batch/logs/")
    work_root: str = Field(description="scratch space for files being built or fetched")

    def work_folder(self, *parts: str) -> Path:
        return private_folder(Path(self.work_root, *parts))

    def archive_report(self, quarter_tag: str, stamp: str, name: str, write: Callable[[Path], object]) -> Path:
        """One of a run's report workbooks, archived whole or not at all: `write(path)` makes it
        in a new hidden folder beside the run's (`archive/reports/<quarter>/.<stamp>.<random>.partial/`),
        from where it is renamed into `archive/reports/<quarter>/<stamp>/<name>`, that folder made
        by the first report of the run. The hidden folder, with whatever a failed write left in
        it, is removed however the writing ends. A full disk raises ArchiveError naming the
        workbook, the run's folder and the reason."""
        target = Path(self.archive_root, "reports", quarter_tag, stamp)
        partial: Path | None = None
        try:
            partial = Path(tempfile.mkdtemp(dir=private_folder(target.parent), prefix=f".{stamp}.",
                                            suffix=PARTIAL_SUFFIX))
            write(partial / name)
            os.rename(partial / name, private_folder(target) / name)
            _sync(target)
        except PrivateFileError as exc:  # the workbook's own file: its reason, with the run's folder
            failure = ArchiveError(f"cannot archive {name} into {target}: {exc.reason}")
        except OSError as exc:
            failure = ArchiveError(f"cannot archive {name} into {target}: {_os_reason(exc, target / name)}")
        else:
            return target / name
        finally:
            if partial is not None:
                shutil.rmtree(partial, ignore_errors=True)
        raise failure  # outside the handler: the error met is neither the cause nor the context

    def log_folder(self, half: str) -> Path:
        return private_folder(Path(self.log_root, half))

    def archive_files(self, half: str, quarter_tag: str, stamp: str, files: list[Path]) -> list[Path]:
        """Copy `files` into `archive/<half>/<quarter_tag>/<stamp>/`, which must be new, so an
        earlier run's archive is never touched. The copies are written and synced in a hidden
        folder beside it (`.<stamp>.<random>.partial`) that is renamed into place only when every
        file is complete; a failure (a full disk) removes it and raises ArchiveError."""
        target = self.archive_folder(half, quarter_tag) / stamp
        if target.exists():
            raise ArchiveError(f"cannot archive {len(files)} file(s) into {target}: an archive is never overwritten")
        partial: Path | None = None
        writing = target
        try:
            quarter_folder = private_folder(target.parent)
            partial = Path(tempfile.mkdtemp(dir=quarter_folder, prefix=f".{stamp}.", suffix=PARTIAL_SUFFIX))
            for source in files:
                writing = partial / source.name
                _copy_synced(source, writing)
            writing = target
            _sync(partial)
            os.rename(partial, target)  # refused (ENOTEMPTY) if another archive took the name
            partial = None
            _sync(quarter_folder)
        except OSError as exc:
            failure = ArchiveError(f"cannot archive {len(files)} file(s) into {target}: "
                                   f"{_os_reason(exc, writing)}")
        else:
            return [target / source.name for source in files]
        finally:
            if partial is not None:
                shutil.rmtree(partial, ignore_errors=True)
        raise failure  # outside the handler: the OSError is neither the cause nor the context

    def archive_folder(self, half: str, quarter_tag: str) -> Path:
        """archive/<half>/<quarter_tag>/, which holds one folder per run (not created here)."""
        return Path(self.archive_root, half, quarter_tag)

    def archived_runs(self, half: str, quarter_tag: str) -> list[Path]:
        """Archive folders of a quarter, oldest first."""
        folder = self.archive_folder(half, quarter_tag)
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))

    def remove_working_copies(self, quarter_tag: str, partition_key: str, stored_assets: list[str]) -> list[Path]:
        """Delete a delivered quarter's working copies of children's records: its work folders
        (export files, downloads) and Dagster's stored frames of `stored_assets` for its
        partition. Returns what was removed; the archive is not touched."""
        targets = [Path(self.work_root, half, quarter_tag) for half in (TO_DPS, FROM_DPS)]
        targets += [Path(self.work_root, "dagster-storage", asset, partition_key) for asset in stored_assets]
        removed = []
        for target in targets:
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            else:
                continue
            removed.append(target)
        return removed

    def latest_archived(self, half: str, quarter_tag: str, name: str) -> Path | None:
        """The newest archived copy of the file `name` for a quarter, if any."""
        for folder in reversed(self.archived_runs(half, quarter_tag)):
            if (folder / name).is_file():
                return folder / name
        return None


def _copy_synced(source: Path, destination: Path) -> None:
    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as sink, open(source, "rb") as handle:
        shutil.copyfileobj(handle, sink)
        sink.flush()
        os.fsync(sink.fileno())


def _sync(folder: Path) -> None:
    """Make a folder's entries (new files, a rename) durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _os_reason(exc: OSError, writing: Path) -> str:
    """`disk full (ENOSPC) at /archive/…/end_export.xlsx`: the operating system's reason
    (`core.privacy.errors.os_reason`) and the path, never the data being written."""
    return f"{os_reason(exc)} at {exc.filename or writing}"
