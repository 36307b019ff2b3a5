"""`SftpResource` sessions against a real OpenSSH sshd: connecting (the pinned host key, credentials,
connection errors), downloads, moves, and closing the session whatever happens. Uploads are in
test_sftp_resource.py, test_sftp_faults.py and test_sftp_upload_strategies.py."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import time
from pathlib import Path

import paramiko
import pytest

from dps_assets.resources.sftp import RemoteFile, SftpError, SftpResource
from dps_assets_tests.support.servers import OpenSshServer, free_port, generate_ed25519_key, known_hosts_entry
from dps_assets_tests.support.sftp_files import partials, sha256, write_local

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


def test_sha256_reads_a_remote_file_through_checking_its_size(
    sftp_resource: SftpResource, openssh_server: OpenSshServer
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    (openssh_server.from_folder / "End_txt_file.txt").write_bytes(data)
    with sftp_resource.session() as session:
        remote = session.stat(f"{sftp_resource.from_folder}/End_txt_file.txt")
        assert remote is not None and remote.size == len(data)
        assert session.sha256(remote) == sha256(data)
        grown = RemoteFile(remote.name, remote.path, remote.size - 1, remote.mtime)
        with pytest.raises(SftpError, match=rf"{re.escape(remote.path)} gave {len(data)} bytes"):
            session.sha256(grown)
        gone = RemoteFile("gone.txt", f"{sftp_resource.from_folder}/gone.txt", 10, 0)
        with pytest.raises(SftpError, match=r"cannot read .*/gone\.txt"):
            session.sha256(gone)


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
