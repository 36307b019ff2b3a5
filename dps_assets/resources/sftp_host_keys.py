"""Pinning DPS's SFTP host key: the key must be in the configured known_hosts file, and a missing
or different key fails closed with a message an operator can act on. Both fingerprints are shown
as OpenSSH prints them (`ssh-keygen -l`), clearly labelled, because the fix for a changed key is
to confirm the new one with DPS through another channel, never to trust what the server offers."""

from __future__ import annotations

import paramiko

from dps_assets.resources.sftp_errors import HostKeyError, SftpError

CONFIRM_OUT_OF_BAND = (
    "confirm the offered fingerprint with DPS out of band (by phone or another channel you trust, "
    "not over this connection) before you change {known_hosts}"
)


def known_hosts_name(host: str, port: int) -> str:
    """How known_hosts names a server: `host` on port 22, `[host]:port` elsewhere."""
    return host if port == 22 else f"[{host}]:{port}"


def describe_key(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.fingerprint}"  # e.g. ssh-ed25519 SHA256:abc...


def load_pinned_keys(client: paramiko.SSHClient, known_hosts_file: str, where: str) -> None:
    """Load `known_hosts_file` into `client` and make it refuse any server not pinned there."""
    try:
        client.load_host_keys(known_hosts_file)
    except OSError as exc:
        raise HostKeyError(
            f"{where}: cannot read known_hosts file {known_hosts_file}: {exc.strerror}"
        ) from exc
    client.set_missing_host_key_policy(_RefuseUnpinned(where, known_hosts_file))


def wrong_host_key(where: str, known_hosts_file: str, host: str, port: int,
                   client: paramiko.SSHClient, exc: paramiko.BadHostKeyException) -> SftpError:
    """Our error for a server whose key is not the pinned one (of any type)."""
    name = known_hosts_name(host, port)
    pinned = list((client.get_host_keys().lookup(name) or {}).values()) or [exc.expected_key]
    return HostKeyError(
        f"{where}: the server's host key is not the one pinned for {name} in {known_hosts_file}; "
        "refusing to connect.\n"
        + "".join(f"  pinned (known_hosts): {describe_key(key)}\n" for key in pinned)
        + f"  offered by the server: {describe_key(exc.key)}\n"
        "This may be someone impersonating DPS's server. If DPS has changed its key, "
        + CONFIRM_OUT_OF_BAND.format(known_hosts=known_hosts_file) + "."
    )


class _RefuseUnpinned(paramiko.MissingHostKeyPolicy):
    """No key at all is pinned for this server: refuse, showing what it offered."""

    def __init__(self, where: str, known_hosts_file: str):
        self.where = where
        self.known_hosts_file = known_hosts_file

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise HostKeyError(
            f"{self.where}: the server's host key is not in {self.known_hosts_file} (nothing is "
            f"pinned for {hostname}); refusing to connect to an unknown server.\n"
            f"  offered by the server: {describe_key(key)}\n"
            "To pin it, " + CONFIRM_OUT_OF_BAND.format(known_hosts=self.known_hosts_file) + "."
        )
