"""Files holding children's records are created 0600 and appear whole or not at all."""

import os
import stat

import pytest

from dps_assets.core.private_files import private_file


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
