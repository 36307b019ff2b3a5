"""The demo stack's stand-in for DPS's SFTP server: asyncssh's real SSH/SFTP server.

- SFTP subsystem only: no shell, no exec, no scp, no forwarding, no pty.
- Every session is chrooted to `--root`; clients see it as `/` (e.g. `/from_folder`, `/TO_DFPS`).
- One user. Password auth with the password read from the environment variable named by
  `--password-env` (default `DPS_SFTP_PASSWORD`), and/or public-key auth with `--authorized-keys`.
- The ed25519 host key is generated into `--host-key` (0600) on first start and reused later; a
  known_hosts line `[127.0.0.1]:PORT ssh-ed25519 AAAA...` is written to `--known-hosts` (0600) so
  clients can pin it.
- Listens on 127.0.0.1 only (`--port 0` picks a free port). When ready it prints exactly one line,
  `READY port=<port>`, to stdout; it runs until SIGTERM/SIGINT and then exits with status 0.

    python -m dps_assets.embedded.sftp_server --root DIR --host-key FILE --known-hosts FILE \\
        --user dps [--port N] [--password-env NAME] [--authorized-keys FILE] [--folder NAME ...]

`start_sftp_server()` runs it as a child process and returns once it is ready."""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import asyncssh

from dps_assets.embedded.process import ReadyProcess, start_ready_process

HOST = "127.0.0.1"
DEFAULT_PASSWORD_ENV = "DPS_SFTP_PASSWORD"
DEFAULT_FOLDERS = ("from_folder", "TO_DFPS")

log = logging.getLogger("dps_assets.embedded.sftp_server")


# --------------------------------------------------------------------------------------------
# The server (runs in the child process)


@dataclass(frozen=True)
class _Settings:
    root: Path
    user: str
    password: str | None
    authorized_keys: asyncssh.SSHAuthorizedKeys | None


def _write_private_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600, atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(data)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """The ed25519 host key in `path`, generated there (0600) if the file does not exist yet."""
    if path.exists():
        return asyncssh.read_private_key(str(path))
    key = asyncssh.generate_private_key("ssh-ed25519")
    _write_private_file(path, key.export_private_key())
    return key


def known_hosts_line(key: asyncssh.SSHKey, port: int, host: str = HOST) -> str:
    algorithm, blob = key.export_public_key("openssh").decode("ascii").split()[:2]
    return f"[{host}]:{port} {algorithm} {blob}\n"


class _ChrootedSFTPServer(asyncssh.SFTPServer):
    """asyncssh's file-system SFTP server, confined to the root folder."""

    root: bytes = b""

    def __init__(self, chan: asyncssh.SSHServerChannel) -> None:
        super().__init__(chan, chroot=self.root)


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
        _write_private_file(known_hosts_file, known_hosts_line(host_key, bound).encode("ascii"))
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
    parser.add_argument("--root", type=Path, required=True, help="folder served as /")
    parser.add_argument(
        "--host-key", type=Path, required=True, help="ed25519 host key (created if missing)"
    )
    parser.add_argument(
        "--known-hosts", type=Path, required=True, help="known_hosts file to write for clients"
    )
    parser.add_argument("--user", required=True, help="the one user allowed to log in")
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (0 = pick a free one)"
    )
    parser.add_argument(
        "--password-env",
        default=DEFAULT_PASSWORD_ENV,
        help=f"environment variable holding the user's password (default {DEFAULT_PASSWORD_ENV})",
    )
    parser.add_argument(
        "--authorized-keys", type=Path, help="authorized_keys file for public-key auth"
    )
    parser.add_argument(
        "--folder",
        action="append",
        default=[],
        help="folder to create inside the root (repeatable)",
    )
    parser.add_argument(
        "--log-level", default="WARNING", help="logging level on stderr (default WARNING)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="sftp_server: %(levelname)s %(message)s",
    )
    os.umask(0o077)  # uploaded files 0600, folders 0700

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


# --------------------------------------------------------------------------------------------
# Starting it from Python (the parent process)


@dataclass
class EmbeddedSftpServer:
    """A running embedded SFTP server; a context manager that stops it on exit."""

    process: ReadyProcess
    port: int
    user: str
    root: Path
    known_hosts_file: Path
    host: str = HOST

    def stop(self) -> int | None:
        """SIGTERM and wait; returns the exit code (0 on a clean shutdown)."""
        return self.process.stop()

    def __enter__(self) -> EmbeddedSftpServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_sftp_server(
    root: str | os.PathLike[str],
    *,
    host_key_file: str | os.PathLike[str],
    known_hosts_file: str | os.PathLike[str],
    user: str = "dps",
    port: int = 0,
    password: str | None = None,
    password_env: str = DEFAULT_PASSWORD_ENV,
    authorized_keys_file: str | os.PathLike[str] | None = None,
    folders: Sequence[str] = DEFAULT_FOLDERS,
    timeout_s: float = 30,
    log_level: str = "WARNING",
) -> EmbeddedSftpServer:
    """Start the server as a child process and return once it has printed `READY`.

    `password`, when given, is handed to the child in the environment variable `password_env`;
    otherwise the child reads that variable from this process's environment."""
    env = dict(os.environ)
    if password is not None:
        env[password_env] = password
    # Make `dps_assets` importable in the child even when it is not installed.
    source_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source_root, env.get("PYTHONPATH")) if p)
    argv: list[str | os.PathLike[str]] = [
        sys.executable, "-m", "dps_assets.embedded.sftp_server",
        "--root", root,
        "--host-key", host_key_file,
        "--known-hosts", known_hosts_file,
        "--user", user,
        "--port", str(port),
        "--password-env", password_env,
        "--log-level", log_level,
    ]  # fmt: skip
    if authorized_keys_file is not None:
        argv += ["--authorized-keys", authorized_keys_file]
    for folder in folders:
        argv += ["--folder", folder]
    process = start_ready_process(argv, name="embedded SFTP server", timeout_s=timeout_s, env=env)
    return EmbeddedSftpServer(
        process=process,
        port=int(process.fields["port"]),
        user=user,
        root=Path(root),
        known_hosts_file=Path(known_hosts_file),
    )


if __name__ == "__main__":
    sys.exit(main())
