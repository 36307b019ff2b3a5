"""The demo stack's stand-in for DPS's SFTP server: asyncssh's real SSH/SFTP server.

- SFTP subsystem only: no shell, no exec, no scp, no forwarding, no pty.
- Every session is chrooted to `--root`; clients see it as `/` (e.g. `/from_folder`, `/TO_DFPS`).
- One user. Password auth with the password read from the environment variable named by
  `--password-env` (default `DPS_SFTP_PASSWORD`), and/or public-key auth with `--authorized-keys`.
- The ed25519 host key is generated into `--host-key` (0600) on first start and reused later; a
  known_hosts line `[127.0.0.1]:PORT ssh-ed25519 AAAA...` is written to `--known-hosts` (0600) so
  clients can pin it.
- `--no-posix-rename`: neither offer nor serve OpenSSH's `posix-rename@openssh.com` extension,
  like the many managed-file-transfer servers that lack it (plain SFTP rename still works, and
  refuses an existing target).
- Listens on 127.0.0.1 only (`--port 0` picks a free port). When ready it prints exactly one line,
  `READY port=<port>`, to stdout; it runs until SIGTERM/SIGINT and then exits with status 0.

    python -m dps_assets.embedded.sftp_server --root DIR --host-key FILE --known-hosts FILE \\
        --user dps [--port N] [--password-env NAME] [--authorized-keys FILE] [--folder NAME ...] \\
        [--no-posix-rename]

`start_sftp_server()` (in `sftp_server_process`, importable from here too) runs it as a child
process and returns once it is ready."""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import asyncssh

from dps_assets.embedded.sftp_host_key import HOST, known_hosts_line, load_or_create_host_key, write_private_file
from dps_assets.embedded.sftp_server_process import DEFAULT_PASSWORD_ENV, EmbeddedSftpServer, start_sftp_server

__all__ = ["EmbeddedSftpServer", "main", "start_sftp_server"]

POSIX_RENAME = b"posix-rename@openssh.com"

log = logging.getLogger("dps_assets.embedded.sftp_server")


# --------------------------------------------------------------------------------------------
# The server (runs in the child process)


@dataclass(frozen=True)
class _Settings:
    root: Path
    user: str
    password: str | None
    authorized_keys: asyncssh.SSHAuthorizedKeys | None


class _ChrootedSFTPServer(asyncssh.SFTPServer):
    """asyncssh's file-system SFTP server, confined to the root folder."""

    root: bytes = b""
    offers_posix_rename = True

    def __init__(self, chan: asyncssh.SSHServerChannel) -> None:
        super().__init__(chan, chroot=self.root)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None | Awaitable[None]:
        if not self.offers_posix_rename:  # a client may send it unoffered (paramiko does)
            raise asyncssh.SFTPOpUnsupported(f"{POSIX_RENAME.decode()} is not offered by this server")
        return super().posix_rename(oldpath, newpath)


def _stop_offering_posix_rename() -> None:
    """Serve SFTP without OpenSSH's posix-rename, in this process. asyncssh has no public switch
    for the extensions it announces in its VERSION packet, so its handler's class-level list is
    filtered; this process only ever runs this server."""
    _ChrootedSFTPServer.offers_posix_rename = False
    handler = asyncssh.sftp.SFTPServerHandler
    handler._extensions = [(name, data) for name, data in handler._extensions if name != POSIX_RENAME]


class _SSHServer(asyncssh.SSHServer):
    def __init__(self, settings: _Settings, connections: set[asyncssh.SSHServerConnection]):
        self._settings = settings
        self._connections = connections
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        # Keys are accepted for the configured user only; any other user can never log in.
        keys = self._settings.authorized_keys
        if self._conn is not None and keys is not None and username == self._settings.user:
            self._conn.set_authorized_keys(keys)
        return True

    def password_auth_supported(self) -> bool:
        return self._settings.password is not None

    def validate_password(self, username: str, password: str) -> bool:
        expected = self._settings.password
        if expected is None:
            return False
        user_ok = hmac.compare_digest(username.encode(), self._settings.user.encode())
        password_ok = hmac.compare_digest(password.encode(), expected.encode())
        return user_ok and password_ok

    def kbdint_auth_supported(self) -> bool:
        return False


def _make_folders(root: Path, folders: Sequence[str]) -> None:
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in folders:
        relative = PurePosixPath(name.strip("/"))
        if not relative.parts or ".." in relative.parts:
            raise ValueError(f"--folder {name!r} must name a folder inside the root")
        path = root
        for part in relative.parts:
            path = path / part
            path.mkdir(mode=0o700, exist_ok=True)
            path.chmod(0o700)


async def serve(
    settings: _Settings,
    host_key: asyncssh.SSHKey,
    port: int,
    known_hosts_file: Path,
    stop: asyncio.Event,
) -> None:
    connections: set[asyncssh.SSHServerConnection] = set()
    _ChrootedSFTPServer.root = os.fsencode(settings.root.resolve())
    acceptor = await asyncssh.listen(
        HOST,
        port,
        server_factory=lambda: _SSHServer(settings, connections),
        server_host_keys=[host_key],
        sftp_factory=_ChrootedSFTPServer,
        allow_scp=False,
        allow_pty=False,
        agent_forwarding=False,
        x11_forwarding=False,
        login_timeout=60,
    )
    try:
        bound = acceptor.get_port()
        write_private_file(known_hosts_file, known_hosts_line(host_key, bound).encode("ascii"))
        print(f"READY port={bound}", flush=True)
        log.info("listening on %s:%d, root %s", HOST, bound, settings.root)
        await stop.wait()
    finally:
        acceptor.close()
        await acceptor.wait_closed()
        for conn in list(connections):
            conn.close()
        for conn in list(connections):
            await conn.wait_closed()


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dps_assets.embedded.sftp_server",
        description="Embedded SFTP server (asyncssh), chrooted, for the demo stack.",
    )
    add = parser.add_argument
    add("--root", type=Path, required=True, help="folder served as /")
    add("--host-key", type=Path, required=True, help="ed25519 host key (created if missing)")
    add("--known-hosts", type=Path, required=True, help="known_hosts file to write for clients")
    add("--user", required=True, help="the one user allowed to log in")
    add("--port", type=int, default=0, help="port on 127.0.0.1 (0 = pick a free one)")
    add("--password-env", default=DEFAULT_PASSWORD_ENV,
        help=f"environment variable holding the user's password (default {DEFAULT_PASSWORD_ENV})")
    add("--authorized-keys", type=Path, help="authorized_keys file for public-key auth")
    add("--folder", action="append", default=[], help="folder to create inside the root (repeatable)")
    add("--no-posix-rename", action="store_true",
        help="neither offer nor serve OpenSSH's posix-rename@openssh.com extension")
    add("--log-level", default="WARNING", help="logging level on stderr (default WARNING)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="sftp_server: %(levelname)s %(message)s",
    )
    os.umask(0o077)  # uploaded files 0600, folders 0700
    if args.no_posix_rename:
        _stop_offering_posix_rename()

    password = os.environ.get(args.password_env) or None
    authorized_keys = None
    if args.authorized_keys is not None:
        try:
            authorized_keys = asyncssh.read_authorized_keys(str(args.authorized_keys))
        except (OSError, ValueError) as exc:
            print(
                f"sftp_server: cannot read authorized keys {args.authorized_keys}: {exc}",
                file=sys.stderr,
            )
            return 2
    if password is None and authorized_keys is None:
        print(
            f"sftp_server: no way to log in: set ${args.password_env} or give --authorized-keys",
            file=sys.stderr,
        )
        return 2
    try:
        _make_folders(args.root, args.folder)
        host_key = load_or_create_host_key(args.host_key)
    except (OSError, ValueError, asyncssh.KeyImportError) as exc:
        print(f"sftp_server: {exc}", file=sys.stderr)
        return 2

    settings = _Settings(args.root, args.user, password, authorized_keys)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await serve(settings, host_key, args.port, args.known_hosts, stop)

    try:
        asyncio.run(run())
    except OSError as exc:
        print(f"sftp_server: cannot serve on {HOST}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
