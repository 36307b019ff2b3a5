"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dps_assets.resources.sftp import SftpResource
from dps_assets_tests.servers import SSHD, OpenSshServer


@pytest.fixture(scope="session")
def openssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenSshServer]:
    """The system's OpenSSH sshd on 127.0.0.1, public-key auth, for the whole test session.
    Fails (never skips) when sshd is not installed: the SFTP tests must run against it."""
    if not SSHD.is_file():
        pytest.fail(
            f"OpenSSH server not found at {SSHD}: the SFTP tests need a real sshd "
            "(on Debian/Ubuntu: apt-get install openssh-server)",
            pytrace=False,
        )
    with OpenSshServer(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@pytest.fixture
def sftp_resource(openssh_server: OpenSshServer) -> SftpResource:
    """An `SftpResource` for `openssh_server`, whose from_folder and TO_DFPS start out empty."""
    openssh_server.reset()
    return openssh_server.resource()
