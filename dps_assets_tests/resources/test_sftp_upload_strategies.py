"""Uploads to servers without OpenSSH's `posix-rename@openssh.com`, and `sftp.upload_strategy:
final_name` for servers that act on any new file, against real servers and the real client:
the embedded asyncssh server with the extension switched off, and OpenSSH's sshd with the
request denied (`internal-sftp -P posix-rename`). What a server acting on new files would see is
read from the kernel's inotify events on the folder (`folder_watch`)."""

from __future__ import annotations

import asyncio
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import paramiko
import pytest
import yaml

from dps_assets.config.schema import ConfigError, SftpConfig, load_config
from dps_assets.embedded.sftp_server import EmbeddedSftpServer, start_sftp_server
from dps_assets.resources import build_resources
from dps_assets.resources.settings import from_config
from dps_assets.resources.sftp import SftpError, SftpResource
from dps_assets_tests.support.folder_watch import FolderWatch
from dps_assets_tests.support.servers import OpenSshServer
from dps_assets_tests.support.sftp_files import write_local

NAME = "End_txt_file.txt"
BIG = 6 * 1024 * 1024
OLD_VERSION = b"DFPS_PERSON_ID|LAST_NAME\r\n1|OLD\r\n"
OURS = re.compile(rf"^\.{re.escape(NAME)}\.[0-9a-f]{{12}}\.(partial|previous)$")
PASSWORD = "demo-" + os.urandom(8).hex()
REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------------------------
# servers


@pytest.fixture(scope="module")
def no_posix_rename_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedSftpServer]:
    base = tmp_path_factory.mktemp("asyncssh")
    with start_sftp_server(base / "root", host_key_file=base / "host_key",
                           known_hosts_file=base / "known_hosts", password=PASSWORD,
                           password_env="DPS_TEST_SFTP_PASSWORD", posix_rename=False) as server:
        yield server


def _embedded_resource(server: EmbeddedSftpServer, **overrides: object) -> SftpResource:
    config: dict = dict(
        host="127.0.0.1", port=server.port, username=server.user, password_env="DPS_TEST_SFTP_PASSWORD",
        known_hosts_file=str(server.known_hosts_file), from_folder="/from_folder",
        to_dfps_folder="/TO_DFPS", connect_timeout_s=5, banner_timeout_s=5, auth_timeout_s=5,
    )  # fmt: skip
    config.update(overrides)
    return from_config(SftpResource, SftpConfig(**config), password=PASSWORD)


@pytest.fixture(scope="module")
def denying_openssh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenSshServer]:
    """sshd whose SFTP server denies posix-rename@openssh.com (answers "permission denied")."""
    with OpenSshServer(tmp_path_factory.mktemp("sshd_no_posix_rename"), sftp_options="-P posix-rename") as server:
        yield server


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if OURS.match(p.name))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --------------------------------------------------------------------------------------------
# the embedded server's switch


def test_the_embedded_server_can_switch_posix_rename_off(
    no_posix_rename_server: EmbeddedSftpServer, tmp_path: Path
) -> None:
    root = no_posix_rename_server.root
    (root / "from_folder" / "a").write_bytes(b"a")
    (root / "from_folder" / "b").write_bytes(b"b")

    async def asyncssh_client() -> str:
        async with asyncssh.connect(
            "127.0.0.1", no_posix_rename_server.port, username="dps", password=PASSWORD,
            known_hosts=str(no_posix_rename_server.known_hosts_file),
        ) as conn, conn.start_sftp_client() as sftp:
            # asyncssh refuses on its own side when the server did not offer the extension
            with pytest.raises(asyncssh.SFTPOpUnsupported) as refused:
                await sftp.posix_rename("/from_folder/a", "/from_folder/b")
            return str(refused.value)

    assert asyncio.run(asyncssh_client()) == "POSIX rename not supported"  # not offered
    with _embedded_resource(no_posix_rename_server).session() as session:
        raw: paramiko.SFTPClient = session._sftp  # type: ignore[attr-defined]
        with pytest.raises(OSError):  # paramiko sends it anyway: the server refuses it
            raw.posix_rename("/from_folder/a", "/from_folder/b")
    assert (root / "from_folder" / "b").read_bytes() == b"b"


# --------------------------------------------------------------------------------------------
# temporary_name without posix-rename


@pytest.mark.parametrize("old_version", [None, OLD_VERSION], ids=["new", "replace"])
def test_upload_without_posix_rename_on_the_embedded_server(
    no_posix_rename_server: EmbeddedSftpServer, tmp_path: Path, old_version: bytes | None
) -> None:
    folder = no_posix_rename_server.root / "from_folder"
    for path in folder.iterdir():
        path.unlink()
    if old_version is not None:
        (folder / NAME).write_bytes(old_version)
    data = os.urandom(BIG)
    local = tmp_path / NAME
    local.write_bytes(data)
    resource = _embedded_resource(no_posix_rename_server)
    with resource.session() as session:
        upload = session.upload_atomically(local, "/from_folder", NAME)
    assert (upload.path, upload.size) == (f"/from_folder/{NAME}", BIG)
    assert (folder / NAME).read_bytes() == data
    assert _mode(folder / NAME) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == [NAME]  # nothing moved aside is left


@pytest.mark.parametrize("old_version", [None, OLD_VERSION], ids=["new", "replace"])
def test_upload_without_posix_rename_on_openssh(
    denying_openssh: OpenSshServer, tmp_path: Path, old_version: bytes | None
) -> None:
    denying_openssh.reset()
    final = denying_openssh.from_folder / NAME
    if old_version is not None:
        final.write_bytes(old_version)
    data = os.urandom(BIG)
    local = tmp_path / NAME
    local.write_bytes(data)
    resource = denying_openssh.resource()
    with resource.session() as session:
        session.upload_atomically(local, resource.from_folder, NAME)
    assert final.read_bytes() == data
    assert sorted(p.name for p in denying_openssh.from_folder.iterdir()) == [NAME]


def test_a_replace_cut_after_the_old_file_was_moved_aside_puts_it_back(
    denying_openssh: OpenSshServer, tmp_path: Path
) -> None:
    """Plain SFTP rename does not replace, so the old file is moved aside first. If the
    connection dies right then, DPS must not be left without a file: the old one is put back
    over a fresh connection, and the new one's temporary file is removed."""
    denying_openssh.reset()
    final = denying_openssh.from_folder / NAME
    final.write_bytes(OLD_VERSION)
    local = write_local(tmp_path / NAME, os.urandom(BIG))
    resource = denying_openssh.resource(io_timeout_s=5)
    moved_aside: list[str] = []

    with pytest.raises(SftpError, match=rf"upload to {final} failed"):
        with resource.session() as session:
            raw: paramiko.SFTPClient = session._sftp  # type: ignore[attr-defined]
            port = raw.get_channel().get_transport().sock.getsockname()[1]
            plain_rename = raw.rename

            def rename_then_die(source: str, target: str) -> None:
                plain_rename(source, target)
                if source == str(final):  # the old file is now under a temporary name
                    moved_aside.append(target)
                    assert not final.exists()
                    denying_openssh.kill_session(port)

            raw.rename = rename_then_die  # type: ignore[method-assign]
            session.upload_atomically(local, resource.from_folder, NAME)

    assert moved_aside and OURS.match(Path(moved_aside[0]).name)
    assert final.read_bytes() == OLD_VERSION
    assert sorted(p.name for p in denying_openssh.from_folder.iterdir()) == [NAME]


# --------------------------------------------------------------------------------------------
# final_name


def test_final_name_uploads_under_the_final_name_in_one_open_and_close(
    denying_openssh: OpenSshServer, tmp_path: Path
) -> None:
    denying_openssh.reset()
    folder = denying_openssh.from_folder
    final = folder / NAME
    final.write_bytes(OLD_VERSION)  # a forced replacement: the older file makes way first
    data = os.urandom(BIG)
    local = tmp_path / NAME
    local.write_bytes(data)
    resource = denying_openssh.resource(upload_strategy="final_name")
    seen: list[tuple[list[str], int]] = []

    def look(transferred: int, total: int) -> None:
        seen.append((sorted(p.name for p in folder.iterdir()), _mode(final)))

    with FolderWatch(folder) as watch, resource.session() as session:
        upload = session.upload_atomically(local, resource.from_folder, NAME, progress=look)
        events = watch.events()
    assert (upload.path, upload.size) == (str(final), BIG)
    assert final.read_bytes() == data and _mode(final) == 0o600
    assert len(seen) > 10
    assert all(names == [NAME] for names, _ in seen)  # never any other name in the folder
    assert all(mode == 0o600 for _, mode in seen)  # closed to others before any data
    # A watcher saw the older file go, then the new one created and closed after writing once,
    # complete (nothing reopens it), and no other name at all.
    assert events == [("DELETE", NAME), ("CREATE", NAME), ("CLOSE_WRITE", NAME)], events


def test_final_name_upload_that_fails_leaves_nothing_under_the_final_name(
    denying_openssh: OpenSshServer, tmp_path: Path
) -> None:
    denying_openssh.reset()
    folder = denying_openssh.from_folder
    local = write_local(tmp_path / NAME, os.urandom(BIG))

    def shrink_local_file(transferred: int, total: int) -> None:
        if transferred < total // 2:
            os.truncate(local, total // 2)

    resource = denying_openssh.resource(upload_strategy="final_name")
    with FolderWatch(folder) as watch:
        with pytest.raises(SftpError, match=rf"has {BIG // 2} bytes after upload, expected {BIG}"):
            with resource.session() as session:
                session.upload_atomically(local, resource.from_folder, NAME, progress=shrink_local_file)
        events = watch.events()
    assert list(folder.iterdir()) == []
    # Removed before it was closed: a watcher acting on a finished write finds no file.
    assert events == [("CREATE", NAME), ("DELETE", NAME), ("CLOSE_WRITE", NAME)], events


def test_temporary_name_shows_a_watcher_the_final_name_only_complete(
    denying_openssh: OpenSshServer, tmp_path: Path
) -> None:
    denying_openssh.reset()
    folder = denying_openssh.from_folder
    local = write_local(tmp_path / NAME, os.urandom(BIG))
    resource = denying_openssh.resource()
    with FolderWatch(folder) as watch, resource.session() as session:
        session.upload_atomically(local, resource.from_folder, NAME)
        events = watch.events()
    # Written and closed under a temporary name; the final name appears once, complete: this
    # server's plain rename links the finished file under the final name (CREATE), then unlinks
    # the temporary name (a posix-rename would show MOVED_TO).
    [(_, temporary), *_] = events
    assert OURS.match(temporary)
    assert events == [("CREATE", temporary), ("CLOSE_WRITE", temporary), ("CREATE", NAME),
                      ("DELETE", temporary)], events
    assert (folder / NAME).read_bytes() == local.read_bytes()


# --------------------------------------------------------------------------------------------
# the configuration option


@pytest.mark.parametrize("value", [None, "temporary_name", "final_name"])
def test_sftp_upload_strategy_is_configured_in_the_file(tmp_path: Path, value: str | None) -> None:
    config = yaml.safe_load((REPO / "dps_config.demo.yml").read_text())
    if value is not None:
        config["sftp"]["upload_strategy"] = value
    path = tmp_path / "dps_config.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    sftp = build_resources(load_config(path))["sftp"]
    assert sftp.upload_strategy == (value or "temporary_name")


def test_an_unknown_sftp_upload_strategy_is_refused_naming_the_key(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "dps_config.demo.yml").read_text())
    config["sftp"]["upload_strategy"] = "atomic"
    path = tmp_path / "dps_config.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sftp\.upload_strategy.*'temporary_name' or 'final_name'"):
        load_config(path)
