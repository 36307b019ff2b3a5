"""`SftpResource` uploads against a real OpenSSH sshd (and once, with a download and a move,
against the embedded asyncssh server). Connecting, downloads and moves: test_sftp_session.py.

No sleeps: the atomic-upload tests look at the server from a second, independent SFTP session
from inside the upload's progress callback, i.e. while the upload is in flight."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import paramiko
import pytest

from dps_assets.config.schema import SftpConfig
from dps_assets.embedded.sftp_server import start_sftp_server
from dps_assets.resources.settings import from_config
from dps_assets.resources.sftp import RemoteFile, SftpError, SftpResource
from dps_assets_tests.support.servers import OpenSshServer
from dps_assets_tests.support.sftp_files import partials, sha256, write_local

NAME = "End_txt_file.txt"
PARTIAL = re.compile(rf"^\.{re.escape(NAME)}\.[0-9a-f]{{12}}\.partial$")
BIG = 6 * 1024 * 1024
OLD = b"old version\r\n"


@pytest.fixture
def old_final(openssh_server: OpenSshServer) -> Path:
    """An earlier upload under the final name, which a failed upload must leave as it is."""
    final = openssh_server.from_folder / NAME
    final.write_bytes(OLD)
    return final


class Observer:
    """Watches the final name from an independent SFTP session while an upload is running."""

    def __init__(self, sftp: paramiko.SFTPClient, folder: str, expected_final: bytes | None):
        self.sftp = sftp
        self.folder = folder
        self.final = f"{folder}/{NAME}"
        self.expected_final = expected_final
        self.calls = 0
        self.saw_partial = False

    def __call__(self, transferred: int, total: int) -> None:
        self.calls += 1
        if self.expected_final is None:
            with pytest.raises(FileNotFoundError):
                self.sftp.stat(self.final)
        else:
            # Still exactly the old version under the final name: same size, same bytes.
            assert self.sftp.stat(self.final).st_size == len(self.expected_final)
            with self.sftp.open(self.final, "rb") as old:
                assert old.read() == self.expected_final
        for entry in self.sftp.listdir_attr(self.folder):
            if PARTIAL.match(entry.filename):
                self.saw_partial = True
                # Closed to other accounts on the server while the data is going in.
                assert stat.S_IMODE(entry.st_mode) == 0o600, oct(entry.st_mode)


# --------------------------------------------------------------------------------------------
# upload_atomically


OLD_VERSION = b"DFPS_PERSON_ID|LAST_NAME\r\n1|OLD\r\n"


@pytest.mark.parametrize("old_version", [None, OLD_VERSION], ids=["new", "replace"])
def test_upload_is_never_seen_partial_under_the_final_name(
    sftp_resource: SftpResource,
    openssh_server: OpenSshServer,
    tmp_path: Path,
    old_version: bytes | None,
) -> None:
    data = os.urandom(BIG)
    local = write_local(tmp_path / NAME, data)
    if old_version is not None:
        (openssh_server.from_folder / NAME).write_bytes(old_version)

    with openssh_server.raw_sftp() as other, sftp_resource.session() as session:
        observer = Observer(other, sftp_resource.from_folder, old_version)
        upload = session.upload_atomically(
            local, sftp_resource.from_folder, NAME, progress=observer
        )

        assert observer.calls > 10  # the callback really ran during the upload
        assert observer.saw_partial  # the bytes went to a temporary name first
        assert upload.path == f"{sftp_resource.from_folder}/{NAME}"
        assert upload.size == BIG
        assert upload.sha256 == sha256(data)
        assert other.stat(upload.path).st_size == BIG
        with other.open(upload.path, "rb") as remote:
            assert sha256(remote.read()) == sha256(data)
        assert other.listdir(sftp_resource.from_folder) == [NAME]
    assert partials(openssh_server.data_root) == []


@pytest.mark.parametrize("file_mode, expected", [("0600", 0o600), ("0640", 0o640), (None, 0o644)])
def test_the_uploaded_file_gets_the_configured_mode_not_the_servers(
    sftp_resource: SftpResource, openssh_server: OpenSshServer, tmp_path: Path, file_mode, expected
) -> None:
    local = write_local(tmp_path / NAME, b"DFPS_PERSON_ID|LAST_NAME\r\n")
    resource = sftp_resource.model_copy(update={"remote_file_mode": file_mode})
    with resource.session() as session:
        upload = session.upload_atomically(local, resource.from_folder, NAME)
    # This sshd runs with umask 022, as a stock server does: left alone, a file is 0644.
    assert stat.S_IMODE((openssh_server.from_folder / NAME).stat().st_mode) == expected
    assert upload.path.endswith(NAME)


def test_upload_into_a_missing_folder_fails_and_leaves_nothing(
    sftp_resource: SftpResource, openssh_server: OpenSshServer, tmp_path: Path
) -> None:
    local = write_local(tmp_path / NAME, b"x" * 1000)
    missing = f"{sftp_resource.from_folder}/no_such_folder"
    with sftp_resource.session() as session:
        with pytest.raises(SftpError, match=r"upload to .*no_such_folder/End_txt_file\.txt failed"):
            session.upload_atomically(local, missing, NAME)
    assert partials(openssh_server.data_root) == []
    assert sorted(p.name for p in openssh_server.data_root.rglob("*")) == ["TO_DFPS", "from_folder"]


def test_upload_of_a_local_file_that_shrinks_midway_fails_and_keeps_the_old_final(
    sftp_resource: SftpResource, openssh_server: OpenSshServer, old_final: Path, tmp_path: Path
) -> None:
    final, old = old_final, OLD
    local = write_local(tmp_path / NAME, os.urandom(BIG))

    def truncate_local_file(transferred: int, total: int) -> None:
        if transferred < total // 2:
            os.truncate(local, total // 2)  # the file "goes away" under the uploader

    with sftp_resource.session() as session:
        with pytest.raises(SftpError, match=rf"has {BIG // 2} bytes after upload, expected {BIG}"):
            session.upload_atomically(
                local, sftp_resource.from_folder, NAME, progress=truncate_local_file
            )
    assert final.read_bytes() == old
    assert partials(openssh_server.data_root) == []


def test_upload_interrupted_by_an_exception_keeps_the_old_final(
    sftp_resource: SftpResource, openssh_server: OpenSshServer, old_final: Path, tmp_path: Path
) -> None:
    final, old = old_final, OLD
    local = write_local(tmp_path / NAME, os.urandom(BIG))

    class Interrupted(Exception):
        pass

    def interrupt(transferred: int, total: int) -> None:
        if transferred > total // 3:
            raise Interrupted

    with sftp_resource.session() as session:
        with pytest.raises(Interrupted):
            session.upload_atomically(local, sftp_resource.from_folder, NAME, progress=interrupt)
        # the session is still usable afterwards
        mtime = int(final.stat().st_mtime)
        assert session.stat(str(final)) == RemoteFile(NAME, str(final), len(old), mtime)
    assert final.read_bytes() == old
    assert partials(openssh_server.data_root) == []


def test_upload_of_a_missing_local_file_touches_nothing(
    sftp_resource: SftpResource, openssh_server: OpenSshServer, old_final: Path, tmp_path: Path
) -> None:
    final, old = old_final, OLD
    with sftp_resource.session() as session:
        # A local error, reported before anything is sent (today a FileNotFoundError).
        with pytest.raises((SftpError, FileNotFoundError)):
            session.upload_atomically(tmp_path / "vanished.txt", sftp_resource.from_folder, NAME)
    assert final.read_bytes() == old
    assert partials(openssh_server.data_root) == []


# --------------------------------------------------------------------------------------------
# the embedded (asyncssh) demo server speaks the same protocol


def test_the_embedded_sftp_server_works_with_the_resource(tmp_path: Path) -> None:
    password = "demo-" + os.urandom(8).hex()
    kwargs: dict = dict(
        host_key_file=tmp_path / "host_key",
        known_hosts_file=tmp_path / "known_hosts",
        user="dps",
        password=password,
        password_env="DPS_TEST_SFTP_PASSWORD",
        folders=("from_folder", "TO_DFPS"),
    )
    root = tmp_path / "root"
    data = os.urandom(BIG)
    local = write_local(tmp_path / NAME, data)

    def resource(port: int, password: str = password, **overrides: object) -> SftpResource:
        config: dict = dict(
            host="127.0.0.1", port=port, username="dps", password_env="DPS_TEST_SFTP_PASSWORD",
            known_hosts_file=str(tmp_path / "known_hosts"),
            from_folder="/from_folder", to_dfps_folder="/TO_DFPS",
            connect_timeout_s=5, banner_timeout_s=5, auth_timeout_s=5,
        )  # fmt: skip
        config.update(overrides)
        return from_config(SftpResource, SftpConfig(**config), password=password)

    with start_sftp_server(root, **kwargs) as server:
        first_known_hosts = server.known_hosts_file.read_text()
        assert first_known_hosts.startswith(f"[127.0.0.1]:{server.port} ssh-ed25519 AAAA")
        private = (tmp_path / "host_key", server.known_hosts_file)
        for path in (*private, root / "from_folder", root / "TO_DFPS"):
            assert stat.S_IMODE(path.stat().st_mode) in (0o600, 0o700), path
        sftp = resource(server.port)

        observer_client = paramiko.SSHClient()
        observer_client.load_host_keys(str(server.known_hosts_file))
        observer_client.set_missing_host_key_policy(paramiko.RejectPolicy())
        observer_client.connect(
            "127.0.0.1", server.port, "dps", password,
            timeout=5, look_for_keys=False, allow_agent=False,
        )
        try:
            with observer_client.open_sftp() as other, sftp.session() as session:
                observer = Observer(other, "/from_folder", None)
                upload = session.upload_atomically(local, "/from_folder", NAME, progress=observer)
                assert observer.calls > 10 and observer.saw_partial
                assert (upload.size, upload.sha256) == (BIG, sha256(data))
                assert [f.name for f in session.list_files("/from_folder")] == [NAME]
                # served from the chroot: the file is in the root folder on disk, 0600
                on_disk = root / "from_folder" / NAME
                assert sha256(on_disk.read_bytes()) == sha256(data)
                assert stat.S_IMODE(on_disk.stat().st_mode) == 0o600

                counts_data = b"MEASURE|COUNT\r\n"
                (root / "TO_DFPS" / "Dfps-missing-person-counts.txt").write_bytes(counts_data)
                [counts] = session.list_files("/TO_DFPS")
                assert session.download(counts, tmp_path / "counts.txt") == sha256(counts_data)
                moved = session.move(counts.path, sftp.processed_folder)
                assert moved == f"/TO_DFPS/processed/{counts.name}"
                assert (root / "TO_DFPS" / "processed" / counts.name).exists()
                with pytest.raises(SftpError, match="cannot stat|cannot list|No such file"):
                    session.list_files("/../etc")  # nothing outside the root
        finally:
            observer_client.close()

        with pytest.raises(SftpError, match="authentication failed for user 'dps'"):
            with resource(server.port, password="wrong").session():
                pass
        assert server.stop() == 0  # SIGTERM: a clean exit

    # A restart reuses the host key, so the pinned key stays valid.
    with start_sftp_server(root, **kwargs) as again:
        assert again.known_hosts_file.read_text().split()[1:] == first_known_hosts.split()[1:]
        with resource(again.port).session() as session:
            assert [f.name for f in session.list_files("/from_folder")] == [NAME]
