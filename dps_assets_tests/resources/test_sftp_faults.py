"""Uploads cut mid-transfer leave nothing of ours on DPS's server, and a later upload sweeps what
an earlier one could not remove, against the real OpenSSH sshd; what a server that refuses
deletes keeps is named by the upload that leaves it.

The cuts are real: the sshd process serving the upload is SIGKILLed, or the connection runs
through a relay that resets it (RST) or black-holes it. Each cut is made from the upload's
progress callback, i.e. with a third of the file on the server."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import paramiko
import pytest

from dps_assets.resources.sftp import SftpError, SftpResource
from dps_assets_tests.support.servers import OpenSshServer, known_hosts_entry, write_private_file
from dps_assets_tests.support.sftp_files import write_local
from dps_assets_tests.support.tcp_relay import TcpRelay

NAME = "End_txt_file.txt"
BIG = 6 * 1024 * 1024
OLD_VERSION = b"DFPS_PERSON_ID|LAST_NAME\r\n1|OLD\r\n"
IO_TIMEOUT_S = 1.5


def _client_port(session: object) -> int:
    transport: paramiko.Transport = session._sftp.get_channel().get_transport()  # type: ignore[attr-defined]
    return transport.sock.getsockname()[1]


def _cut_at_a_third(cut: Callable[[], None]) -> Callable[[int, int], None]:
    done = []

    def progress(transferred: int, total: int) -> None:
        if not done and transferred > total // 3:
            done.append(True)
            cut()

    return progress


def _through_relay(server: OpenSshServer, relay: TcpRelay, tmp_path: Path, **overrides) -> SftpResource:
    known_hosts = write_private_file(tmp_path / "relay_known_hosts",
                                     known_hosts_entry(relay.port, server.host_public_key))
    return server.resource(port=relay.port, known_hosts_file=str(known_hosts), **overrides)


@pytest.mark.parametrize("strategy", ["temporary_name", "final_name"])
@pytest.mark.parametrize("cut", ["sshd child killed", "TCP reset", "link black-holed"])
def test_an_upload_cut_midway_leaves_no_partial_file_on_the_server(
    openssh_server: OpenSshServer, tmp_path: Path, cut: str, strategy: str
) -> None:
    openssh_server.reset()
    final = openssh_server.from_folder / NAME
    final.write_bytes(OLD_VERSION)
    local = write_local(tmp_path / NAME, os.urandom(BIG))
    overrides = dict(upload_strategy=strategy, io_timeout_s=IO_TIMEOUT_S)

    with TcpRelay(openssh_server.port) as relay:
        if cut == "sshd child killed":
            resource = openssh_server.resource(**overrides)
        else:
            resource = _through_relay(openssh_server, relay, tmp_path, **overrides)
        started = time.monotonic()
        with pytest.raises(SftpError, match=rf"upload to {final} failed") as caught:
            with resource.session() as session:
                port = _client_port(session)
                actions = {"sshd child killed": lambda: openssh_server.kill_session(port),
                           "TCP reset": relay.reset, "link black-holed": relay.black_hole}
                session.upload_atomically(local, resource.from_folder, NAME,
                                          progress=_cut_at_a_third(actions[cut]))
        elapsed = time.monotonic() - started

    # The error raised is the transfer's own, not one from the clean-up.
    assert isinstance(caught.value.__cause__, (OSError, EOFError, paramiko.SSHException))
    assert "could not be removed" not in str(caught.value)
    # Nothing with children's records is left: no temporary file, no partial final one.
    left = sorted(p.name for p in openssh_server.from_folder.iterdir())
    if strategy == "temporary_name":
        assert left == [NAME] and final.read_bytes() == OLD_VERSION  # the final name untouched
    else:
        assert left == []  # the old file made way; the cut one under the final name is gone
    # Bounded by the configured timeouts (a black hole costs one io_timeout_s).
    assert elapsed < IO_TIMEOUT_S + 8
    assert openssh_server.running


STALE_S = 3600


def _plant(folder: Path, name: str, age_s: float = STALE_S, directory: bool = False) -> Path:
    path = folder / name
    if directory:
        path.mkdir()
    else:
        path.write_bytes(b"1|PLANTED\r\n")
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


@pytest.mark.parametrize("sole_uploader", [False, True], ids=["lock-free", "lock-holder"])
@pytest.mark.parametrize("strategy", ["temporary_name", "final_name"])
def test_an_upload_sweeps_our_stale_temporary_files_and_nothing_else(
    sftp_resource: SftpResource, openssh_server: OpenSshServer, tmp_path: Path, strategy: str,
    sole_uploader: bool
) -> None:
    folder = openssh_server.from_folder
    ours_stale = [
        _plant(folder, f".{NAME}.0123456789ab.partial"),  # an upload cut earlier
        _plant(folder, f".{NAME}.fedcba987654.previous"),  # an old version moved aside
    ]
    kept = [
        _plant(folder, f".{NAME}.partial"),
        _plant(folder, f".{NAME}.0123456789AB.partial"),
        _plant(folder, f".{NAME}.0123456789ab.partial.keep"),
        _plant(folder, f"{NAME}.0123456789ab.partial"),
        _plant(folder, f".{NAME}.0123456789abc.partial"),
        _plant(folder, ".Other.txt.0123456789ab.partial"),
        _plant(folder, "notes.txt"),
        _plant(folder, f".{NAME}.bbbbbbbbbbbb.partial", directory=True),
    ]
    # Written a moment ago: an upload that may still be running, unless every upload holds the
    # lock this one holds (sole_uploader), when its writer is gone whatever its age.
    recent = _plant(folder, f".{NAME}.aaaaaaaaaaaa.partial", age_s=0)
    (ours_stale if sole_uploader else kept).append(recent)
    local = tmp_path / NAME
    local.write_bytes(b"DFPS_PERSON_ID|LAST_NAME\r\n2|NEW\r\n")
    resource = sftp_resource.model_copy(update={"upload_strategy": strategy})
    with resource.session() as session:
        upload = session.upload_atomically(local, resource.from_folder, NAME, sole_uploader=sole_uploader)

    assert upload.left_on_server == ()
    assert [p.name for p in ours_stale if p.exists()] == []
    assert [p.name for p in kept if not p.exists()] == []
    assert all(p.read_bytes() == b"1|PLANTED\r\n" for p in kept if p.is_file())
    assert (folder / NAME).read_bytes() == local.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == sorted([NAME, *(p.name for p in kept)])


def test_what_a_cut_upload_cannot_remove_is_named_and_swept_by_the_next_upload(
    openssh_server: OpenSshServer, tmp_path: Path
) -> None:
    openssh_server.reset()
    folder = openssh_server.from_folder
    local = write_local(tmp_path / NAME, os.urandom(BIG))
    with TcpRelay(openssh_server.port) as relay:
        resource = _through_relay(openssh_server, relay, tmp_path, io_timeout_s=IO_TIMEOUT_S)
        with pytest.raises(SftpError) as caught:
            with resource.session() as session:
                # the link goes down for good: no fresh connection can clean up either
                session.upload_atomically(local, resource.from_folder, NAME,
                                          progress=_cut_at_a_third(relay.stop))
    [partial] = [p for p in folder.iterdir() if p.name.endswith(".partial")]
    first, second = str(caught.value).splitlines()
    assert first.startswith(f"sftp://{openssh_server.user}@127.0.0.1:{relay.port}: upload to {folder / NAME} failed")
    assert second == (f"the unfinished upload {partial} could not be removed now; "
                      f"the next upload into {folder} removes it")

    openssh_server.wait_for_sessions_to_end()  # the server has written all it received
    stamp = time.time() - STALE_S  # later on: the cut upload's file is stale
    os.utime(partial, (stamp, stamp))
    with openssh_server.resource().session() as session:
        session.upload_atomically(local, str(folder), NAME)
    assert sorted(p.name for p in folder.iterdir()) == [NAME]


def _ours(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{NAME}."))


def test_an_older_file_the_server_will_not_remove_is_named_by_every_upload_that_leaves_it(
    undeleting_openssh: OpenSshServer, tmp_path: Path
) -> None:
    undeleting_openssh.reset()
    folder = undeleting_openssh.from_folder
    (folder / NAME).write_bytes(OLD_VERSION)
    resource = undeleting_openssh.resource()
    first, second = os.urandom(BIG), os.urandom(BIG)
    with resource.session() as session:
        upload = session.upload_atomically(write_local(tmp_path / "first", first), resource.from_folder, NAME)
    [aside] = _ours(folder)
    assert aside.endswith(".previous") and (folder / aside).read_bytes() == OLD_VERSION
    assert (folder / NAME).read_bytes() == first
    assert upload.left_on_server == (str(folder / aside),)

    # The next upload cannot sweep it either, and leaves the first upload's file moved aside too.
    with resource.session() as session:
        again = session.upload_atomically(write_local(tmp_path / "second", second), resource.from_folder,
                                          NAME, sole_uploader=True)
    assert (folder / NAME).read_bytes() == second
    assert len(_ours(folder)) == 2 and aside in _ours(folder)
    assert sorted(again.left_on_server) == [str(folder / name) for name in _ours(folder)]
    assert sorted((folder / name).read_bytes() for name in _ours(folder)) == sorted([OLD_VERSION, first])
