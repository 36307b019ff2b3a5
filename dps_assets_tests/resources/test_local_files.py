"""The archive on a disk that fills up: a real, tiny tmpfs, so the write really fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dps_assets.core.privacy.errors import ExchangeError
from dps_assets.resources.local_files import TO_DPS, ArchiveError, LocalFilesResource

STAMP = "20261122T031500Z_1a2b3c4d"


def export_files(folder: Path, text_bytes: int, workbook_bytes: int) -> list[Path]:
    folder.mkdir()
    text, workbook = folder / "End_txt_file.txt", folder / "end_export.xlsx"
    text.write_bytes(b"1001|PLANTEDSURNAME|JOHN||20100304|M|W\r\n" * (text_bytes // 40))
    workbook.write_bytes(os.urandom(workbook_bytes))
    return [text, workbook]


def resource(archive_root: Path, tmp_path: Path) -> LocalFilesResource:
    return LocalFilesResource(archive_root=str(archive_root), log_root=str(tmp_path / "logs"),
                              work_root=str(tmp_path / "work"))


def test_a_full_disk_leaves_no_archive_folder_and_names_the_path_and_the_reason(small_disk, tmp_path):
    files = export_files(tmp_path / "work", text_bytes=120_000, workbook_bytes=150_000)
    local_files = resource(small_disk / "archive", tmp_path)

    with pytest.raises(ArchiveError) as raised:
        local_files.archive_files(TO_DPS, "FY2026_Q4", STAMP, files)

    message = str(raised.value)
    assert isinstance(raised.value, ExchangeError)
    target = small_disk / "archive" / TO_DPS / "FY2026_Q4" / STAMP
    assert f"into {target}: disk full (ENOSPC) at " in message
    assert "end_export.xlsx" in message  # the file that did not fit
    assert "PLANTED" not in message
    assert raised.value.__cause__ is None and raised.value.__context__ is None
    quarter_folder = target.parent
    assert list(quarter_folder.iterdir()) == []  # neither the archive nor its temporary folder
    assert local_files.archived_runs(TO_DPS, "FY2026_Q4") == []

    # With room again, the same run's archive is written whole.
    smaller = export_files(tmp_path / "smaller", text_bytes=40_000, workbook_bytes=40_000)
    archived = local_files.archive_files(TO_DPS, "FY2026_Q4", STAMP, smaller)
    assert [p.read_bytes() for p in archived] == [p.read_bytes() for p in smaller]
    assert local_files.archived_runs(TO_DPS, "FY2026_Q4") == [target]
    assert oct(os.stat(target).st_mode & 0o777) == "0o700"
    assert {oct(os.stat(p).st_mode & 0o777) for p in archived} == {"0o600"}


def test_an_archive_is_never_overwritten_and_hidden_partial_folders_are_not_archives(tmp_path):
    local_files = resource(tmp_path / "archive", tmp_path)
    files = export_files(tmp_path / "work", text_bytes=400, workbook_bytes=100)
    [first, _] = local_files.archive_files(TO_DPS, "FY2026_Q4", STAMP, files)
    # What a worker killed mid-copy leaves behind.
    left_over = first.parent.parent / ".20261123T000000Z_99999999.k3j2.partial"
    left_over.mkdir()
    (left_over / "End_txt_file.txt").write_bytes(b"half")

    assert local_files.archived_runs(TO_DPS, "FY2026_Q4") == [first.parent]
    with pytest.raises(ArchiveError, match=f"into {first.parent}: .*never overwritten"):
        local_files.archive_files(TO_DPS, "FY2026_Q4", STAMP, files)
    assert first.read_bytes() == files[0].read_bytes()
