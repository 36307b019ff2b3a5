"""`SftpResource` against a real OpenSSH sshd (and once against the embedded asyncssh server).

No sleeps: the atomic-upload tests look at the server from a second, independent SFTP session
from inside the upload's progress callback, i.e. while the upload is in flight."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import time
from pathlib import Path

import paramiko
import pytest

from dps_assets.embedded.sftp_server import start_sftp_server
from dps_assets.resources.sftp import RemoteFile, SftpError, SftpResource
from dps_assets_tests.servers import (
    OpenSshServer,
    free_port,
    generate_ed25519_key,
    known_hosts_entry,
)

NAME = "End_txt_file.txt"
PARTIAL = re.compile(rf"^\.{re.escape(NAME)}\.[0-9a-f]{{12}}\.partial$")
BIG = 6 * 1024 * 1024


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_local(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def partials(folder: Path) -> list[str]:
    """Temporary upload/download files left anywhere under `folder`."""
    return [str(p) for p in folder.rglob("*.partial")]


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


@pytest.mark.parametrize("file_mode, expected", [(0o600, 0o600), (0o640, 0o640), (None, 0o644)])
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
    sftp_resource: SftpResource, openssh_server: OpenSshServer, tmp_path: Path
) -> None:
    old = b"old version\r\n"
    final = openssh_server.from_folder / NAME
    final.write_bytes(old)
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
    sftp_resource: SftpResource, openssh_server: OpenSshServer, tmp_path: Path
) -> None:
    old = b"old version\r\n"
    final = openssh_server.from_folder / NAME
    final.write_bytes(old)
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
    sftp_resource: SftpResource, openssh_server: OpenSshServer, tmp_path: Path
) -> None:
    old = b"old version\r\n"
    final = openssh_server.from_folder / NAME
    final.write_bytes(old)
    with sftp_resource.session() as session:
        # A local error, reported before anything is sent (today a FileNotFoundError).
        with pytest.raises((SftpError, FileNotFoundError)):
            session.upload_atomically(tmp_path / "vanished.txt", sftp_resource.from_folder, NAME)
    assert final.read_bytes() == old
    assert partials(openssh_server.data_root) == []


# --------------------------------------------------------------------------------------------
# host key pinning, credentials, connection errors


def openssh_fingerprint(public_key: str, scratch: Path) -> str:
    """The fingerprint OpenSSH shows for `public_key` (`ssh-keygen -l`), as an operator sees it."""
    key_file = scratch / f"key_{sha256(public_key.encode())[:8]}.pub"
    key_file.write_text(public_key + "\n")
    listing = subprocess.run(["ssh-keygen", "-l", "-f", str(key_file)], check=True,
                             capture_output=True, text=True).stdout
    return listing.split()[1]  # "256 SHA256:... comment (ED25519)"


def test_a_different_host_key_is_refused_showing_both_fingerprints(
    sftp_resource: SftpResource, openssh_server: OpenSshServer, tmp_path: Path
) -> None:
    impostor_key = generate_ed25519_key(tmp_path / "impostor_key")
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(known_hosts_entry(openssh_server.port, impostor_key))
    resource = openssh_server.resource(known_hosts_file=str(known_hosts))
    with pytest.raises(SftpError, match="host key is not the one pinned") as caught:
        with resource.session():
            pytest.fail("connected despite a wrong host key")
    message = str(caught.value)
    assert str(known_hosts) in message
    assert f"127.0.0.1:{openssh_server.port}" in message
    pinned = openssh_fingerprint(impostor_key, tmp_path)
    offered = openssh_fingerprint(openssh_server.host_public_key, tmp_path)
    assert pinned != offered
    # each fingerprint under its own label, as `ssh-keygen -l` prints it
    lines = message.splitlines()
    assert f"  pinned (known_hosts): ssh-ed25519 {pinned}" in lines, message
    assert f"  offered by the server: ssh-ed25519 {offered}" in lines, message
    assert "confirm the offered fingerprint with DPS out of band" in message


def test_an_unknown_host_is_refused(openssh_server: OpenSshServer, tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    resource = openssh_server.resource(known_hosts_file=str(known_hosts))
    unknown = "host key is not in .*refusing to connect to an unknown server"
    with pytest.raises(SftpError, match=unknown) as caught:
        with resource.session():
            pytest.fail("connected to an unknown host")
    offered = openssh_fingerprint(openssh_server.host_public_key, tmp_path)
    assert f"  offered by the server: ssh-ed25519 {offered}" in str(caught.value).splitlines()
    assert "confirm the offered fingerprint with DPS out of band" in str(caught.value)


def test_a_missing_known_hosts_file_is_a_clear_error(
    openssh_server: OpenSshServer, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "known_hosts"
    resource = openssh_server.resource(known_hosts_file=str(missing))
    expected = rf"cannot read known_hosts file {re.escape(str(missing))}: No such file"
    with pytest.raises(SftpError, match=expected):
        with resource.session():
            pytest.fail("connected without a known_hosts file")


def test_a_key_the_server_does_not_accept_is_a_clear_error(
    openssh_server: OpenSshServer, tmp_path: Path
) -> None:
    generate_ed25519_key(tmp_path / "stranger_key")
    resource = openssh_server.resource(private_key_file=str(tmp_path / "stranger_key"))
    with pytest.raises(SftpError, match="authentication failed") as caught:
        with resource.session():
            pytest.fail("logged in with a key that is not authorized")
    message = str(caught.value)
    assert f"user {openssh_server.user!r}" in message
    assert f"sftp://{openssh_server.user}@127.0.0.1:{openssh_server.port}" in message


def test_a_closed_port_is_a_clear_error_quickly(openssh_server: OpenSshServer) -> None:
    port = free_port()
    resource = openssh_server.resource(
        port=port, connect_timeout_s=2, banner_timeout_s=2, auth_timeout_s=2
    )
    started = time.monotonic()
    with pytest.raises(SftpError, match=rf"sftp://.*@127\.0\.0\.1:{port}: cannot connect"):
        with resource.session():
            pytest.fail("connected to a closed port")
    assert time.monotonic() - started < 3


# --------------------------------------------------------------------------------------------
# download


def test_download_verifies_the_size_and_returns_the_sha256(
    sftp_resource: SftpResource, openssh_server: OpenSshServer, tmp_path: Path
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    (openssh_server.to_dfps_folder / "Dfps-missing-person-results.txt").write_bytes(data)
    (openssh_server.to_dfps_folder / "subfolder").mkdir()
    target = tmp_path / "results.txt"
    with sftp_resource.session() as session:
        [remote] = session.list_files(sftp_resource.to_dfps_folder)  # regular files only
        assert (remote.name, remote.size) == ("Dfps-missing-person-results.txt", len(data))
        digest = session.download(remote, target)
    assert digest == sha256(data)
    assert target.read_bytes() == data
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert partials(tmp_path) == []


def test_download_of_a_missing_remote_file_leaves_nothing(
    sftp_resource: SftpResource, tmp_path: Path
) -> None:
    target = tmp_path / "results.txt"
    gone = RemoteFile("gone.txt", f"{sftp_resource.to_dfps_folder}/gone.txt", 10, 0)
    with sftp_resource.session() as session:
        with pytest.raises(SftpError, match=r"download of .*/gone\.txt failed"):
            session.download(gone, target)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("listed_size_delta", [-1, +1], ids=["file-grew", "file-shrank"])
def test_download_refuses_a_size_other_than_the_listing(
    sftp_resource: SftpResource,
    openssh_server: OpenSshServer,
    tmp_path: Path,
    listed_size_delta: int,
) -> None:
    data = os.urandom(200_000)
    (openssh_server.to_dfps_folder / "results.txt").write_bytes(data)
    target = write_local(tmp_path / "results.txt", b"previous download")
    with sftp_resource.session() as session:
        [remote] = session.list_files(sftp_resource.to_dfps_folder)
        stale = RemoteFile(remote.name, remote.path, remote.size + listed_size_delta, remote.mtime)
        with pytest.raises(SftpError, match=rf"{re.escape(remote.path)}"):
            session.download(stale, target)
    assert target.read_bytes() == b"previous download"
    assert partials(tmp_path) == []


# --------------------------------------------------------------------------------------------
# move, ensure_folder


def test_move_creates_the_folder_and_never_overwrites(
    sftp_resource: SftpResource, openssh_server: OpenSshServer
) -> None:
    incoming = openssh_server.to_dfps_folder
    (incoming / "a.txt").write_bytes(b"first")
    archive = f"{sftp_resource.to_dfps_folder}/archive/2025Q1"
    with sftp_resource.session() as session:
        assert session.move(f"{sftp_resource.to_dfps_folder}/a.txt", archive) == f"{archive}/a.txt"
        assert stat.S_IMODE(Path(archive).stat().st_mode) == 0o700

        (incoming / "a.txt").write_bytes(b"second")
        refused = r"archive/2025Q1/a\.txt already exists; not overwriting it"
        with pytest.raises(SftpError, match=refused):
            session.move(f"{sftp_resource.to_dfps_folder}/a.txt", archive)
    assert (Path(archive) / "a.txt").read_bytes() == b"first"
    assert (incoming / "a.txt").read_bytes() == b"second"


def test_move_under_a_new_name_never_overwrites(
    sftp_resource: SftpResource, openssh_server: OpenSshServer
) -> None:
    incoming = openssh_server.to_dfps_folder
    (incoming / "results.txt").write_bytes(b"new")
    processed = Path(sftp_resource.processed_folder)
    processed.mkdir()
    (processed / "2025Q1-results.txt").write_bytes(b"delivered earlier")
    with sftp_resource.session() as session:
        with pytest.raises(SftpError, match="2025Q1-results.txt already exists"):
            session.move(str(incoming / "results.txt"), str(processed), "2025Q1-results.txt")
        moved = session.move(str(incoming / "results.txt"), str(processed), "2025Q2-results.txt")
        assert moved == str(processed / "2025Q2-results.txt")
    assert (processed / "2025Q1-results.txt").read_bytes() == b"delivered earlier"
    assert (processed / "2025Q2-results.txt").read_bytes() == b"new"
    assert not (incoming / "results.txt").exists()


# --------------------------------------------------------------------------------------------
# session life cycle


def _transport_of(session: object) -> paramiko.Transport:
    return session._sftp.get_channel().get_transport()  # type: ignore[attr-defined]


def test_the_session_is_closed_after_the_with_block(sftp_resource: SftpResource) -> None:
    with sftp_resource.session() as session:
        transport = _transport_of(session)
        assert transport.is_active()
        session.list_files(sftp_resource.from_folder)
    assert not transport.is_active()


def test_the_session_is_closed_when_the_block_raises(sftp_resource: SftpResource) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with sftp_resource.session() as session:
            transport = _transport_of(session)
            raise Boom
    assert not transport.is_active()


def test_the_session_is_closed_after_an_sftp_error(sftp_resource: SftpResource) -> None:
    with pytest.raises(SftpError, match="cannot list"):
        with sftp_resource.session() as session:
            transport = _transport_of(session)
            session.list_files(f"{sftp_resource.from_folder}/missing")
    assert not transport.is_active()


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

    def resource(port: int, **overrides: object) -> SftpResource:
        config: dict = dict(
            host="127.0.0.1", port=port, username="dps", password=password,
            known_hosts_file=str(tmp_path / "known_hosts"),
            from_folder="/from_folder", to_dfps_folder="/TO_DFPS",
            processed_folder="/TO_DFPS/processed",
            connect_timeout_s=5, banner_timeout_s=5, auth_timeout_s=5,
        )  # fmt: skip
        config.update(overrides)
        return SftpResource(**config)

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
