"""The SFTP layer's own error, and the errors paramiko raises for a failed transfer."""

from __future__ import annotations

import paramiko

from dps_assets.core.errors import ExchangeError

TRANSFER_ERRORS = (OSError, EOFError, paramiko.SSHException)


class SftpError(ExchangeError, RuntimeError):
    """Connecting to, or working on, the SFTP server failed. The message says where and why."""
