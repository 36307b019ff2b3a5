"""Files holding children's records are created 0600 and appear whole or not at all."""

import errno
import os
import stat

import pytest

from dps_assets.core.privacy.private_files import PrivateFileError, private_file


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_file_is_owner_only_even_over_a_wider_file_and_a_planted_temporary(tmp_path):
    target = tmp_path / "IMPACT_not_in_DPS_FY2026_Q4.xlsx"
    target.write_bytes(b"old")
    os.chmod(target, 0o644)
    planted = tmp_path / f".{target.name}.partial"  # what an older version's fixed name would hit
    planted.write_bytes(b"")
    os.chmod(planted, 0o666)
    with private_file(target) as handle:
        handle.write(b"new")
    assert target.read_bytes() == b"new" and mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [planted.name, target.name]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "end_export.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with private_file(target) as handle:
            handle.write(b"half")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_a_full_disk_names_the_file_and_leaves_no_temporary(small_disk):
    target = small_disk / "end_export.xlsx"
    with pytest.raises(PrivateFileError) as raised:
        with private_file(target) as handle:
            handle.write(b"PLANTEDSURNAME|20100304\r\n" * 20_000)  # 500 KB onto 200 KiB
    assert str(raised.value) == f"cannot write end_export.xlsx into {small_disk}: disk full (ENOSPC)"
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert list(small_disk.iterdir()) == []


def test_a_refusal_met_in_the_block_is_passed_on_as_it_is(tmp_path):
    # paramiko says a server refused a download being written here with EACCES: no local failure.
    target = tmp_path / "Dfps-missing-person-results.txt"
    with pytest.raises(PermissionError) as raised:
        with private_file(target) as handle:
            handle.write(b"DFPS_PERSON_ID|NIC\r\n")
            raise PermissionError(errno.EACCES, "Permission denied")
    assert not isinstance(raised.value, PrivateFileError)
    assert list(tmp_path.iterdir()) == []
