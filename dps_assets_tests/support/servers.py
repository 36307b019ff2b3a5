"""Real servers for the tests.

`OpenSshServer` runs the system's OpenSSH `sshd` (the same server software DPS is likely to run)
on 127.0.0.1 with its own host key, client key, known_hosts and data folders, all in a temporary
folder. sshd's `internal-sftp` is not chrooted here, so remote paths are absolute local paths."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dps_assets.config.schema import SftpConfig
from dps_assets.embedded.process import ProcessStartError, ReadyProcess, start_ready_process
from dps_assets.resources.settings import from_config
from dps_assets.resources.sftp import SftpResource
from dps_assets_tests.support.processes import descendants, pids_holding, tcp_socket_inode, wait_until_gone

SSHD = Path("/usr/sbin/sshd")
LOCALHOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return sock.getsockname()[1]


def write_private_file(path: Path, text: str) -> Path:
    """Write `text` to `path` with mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as sink:
        sink.write(text)
    os.chmod(path, 0o600)
    return path


def generate_ed25519_key(private_key_file: Path) -> str:
    """Write a new unencrypted OpenSSH ed25519 private key (0600); return its public key line
    (`ssh-ed25519 AAAA...`)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    write_private_file(private_key_file, private.decode("ascii"))
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return public.decode("ascii")


def known_hosts_entry(port: int, public_key: str, host: str = LOCALHOST) -> str:
    """A known_hosts line pinning `public_key` (`type base64`) for host:port."""
    algorithm, blob = public_key.split()[:2]
    return f"[{host}]:{port} {algorithm} {blob}\n"


class OpenSshServer:
    """OpenSSH `sshd -D -e` on 127.0.0.1, public-key auth only, for the current user.

    Use as a context manager, or call `start()` and `stop()`."""

    host = LOCALHOST

    def __init__(self, workdir: Path, *, start_timeout_s: float = 15, sftp_options: str = ""):
        self.workdir = Path(workdir).resolve()
        self.start_timeout_s = start_timeout_s
        self.sftp_options = sftp_options
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.host_key_file = self.workdir / "ssh_host_ed25519_key"
        self.client_key_file = self.workdir / "client_ed25519_key"
        self.authorized_keys_file = self.workdir / "authorized_keys"
        self.known_hosts_file = self.workdir / "known_hosts"
        self.config_file = self.workdir / "sshd_config"
        self.pid_file = self.workdir / "sshd.pid"
        self.data_root = self.workdir / "data"
        self.from_folder = self.data_root / "from_folder"
        self.to_dfps_folder = self.data_root / "TO_DFPS"
        self.port = 0
        self.host_public_key = ""
        self.client_public_key = ""
        self._process: ReadyProcess | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> OpenSshServer:
        if not SSHD.is_file():
            raise RuntimeError(
                f"OpenSSH server not found at {SSHD}; the SFTP tests need it "
                "(on Debian/Ubuntu: apt-get install openssh-server)"
            )
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.host_public_key = generate_ed25519_key(self.host_key_file)
        self.client_public_key = generate_ed25519_key(self.client_key_file)
        write_private_file(self.authorized_keys_file, self.client_public_key + "\n")
        self.reset()
        try:
            # sshd's privilege-separation folder (`mkdir -p /run/sshd`)
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        except PermissionError:
            pass  # not root: sshd will say what it misses
        last_error: ProcessStartError | None = None
        for _attempt in range(3):  # another process may grab the free port before sshd binds it
            self.port = free_port()
            self._write_config()
            try:
                self._process = start_ready_process(
                    [SSHD, "-D", "-e", "-f", self.config_file],
                    name="sshd",
                    ready_pattern=r"Server listening on ",
                    ready_stream="stderr",
                    timeout_s=self.start_timeout_s,
                )
                break
            except ProcessStartError as exc:
                last_error = exc
                if "Address already in use" not in str(exc):
                    raise
        else:
            assert last_error is not None
            raise last_error
        entry = known_hosts_entry(self.port, self.host_public_key)
        write_private_file(self.known_hosts_file, entry)
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def __enter__(self) -> OpenSshServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _write_config(self) -> None:
        self.config_file.write_text(
            "\n".join(
                [
                    f"ListenAddress {self.host}",
                    f"Port {self.port}",
                    f"HostKey {self.host_key_file}",
                    f"PidFile {self.pid_file}",
                    f"AuthorizedKeysFile {self.authorized_keys_file}",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PubkeyAuthentication yes",
                    "PermitRootLogin prohibit-password",
                    "StrictModes no",
                    "UsePAM no",
                    f"Subsystem sftp internal-sftp {self.sftp_options}".rstrip(),
                    f"AllowUsers {self.user}",
                    "LogLevel VERBOSE",
                    "",
                ]
            ),
            encoding="ascii",
        )

    # -- use --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.process.poll() is None

    def log(self) -> str:
        """sshd's recent stderr (LogLevel VERBOSE), for failure messages."""
        return self._process.stderr_tail() if self._process is not None else ""

    def kill_session(self, client_port: int, timeout_s: float = 10) -> list[int]:
        """SIGKILL every sshd process holding the server end of the TCP connection that comes from
        127.0.0.1:`client_port`, and return their pids once they have died."""
        inode = tcp_socket_inode(local_port=self.port, remote_port=client_port)
        pids = [pid for pid in pids_holding(f"socket:[{inode}]") if pid != os.getpid()]
        if not pids:
            raise RuntimeError(f"no sshd process serves the connection from port {client_port}")
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_until_gone(pids, timeout_s)
        return pids

    def wait_for_sessions_to_end(self, timeout_s: float = 10) -> None:
        """Return once no sshd process serves a connection any more (only the listener is left)."""
        assert self._process is not None
        wait_until_gone(descendants(self._process.pid), timeout_s)

    def reset(self) -> None:
        """Empty the data root, then recreate `from_folder` and `TO_DFPS` (0700)."""
        if self.data_root.exists():
            shutil.rmtree(self.data_root)
        for folder in (self.data_root, self.from_folder, self.to_dfps_folder):
            folder.mkdir(mode=0o700)

    def resource(self, **overrides: object) -> SftpResource:
        """An `SftpResource` for this server (key auth, pinned host key, small timeouts; the
        sftp section's defaults otherwise). `overrides` are sftp configuration keys."""
        config: dict[str, object] = {
            "host": self.host,
            "port": self.port,
            "username": self.user,
            "private_key_file": str(self.client_key_file),
            "known_hosts_file": str(self.known_hosts_file),
            "from_folder": str(self.from_folder),
            "to_dfps_folder": str(self.to_dfps_folder),
            "processed_folder": str(self.to_dfps_folder / "processed"),
            "connect_timeout_s": 5,
            "banner_timeout_s": 5,
            "auth_timeout_s": 5,
        }
        config.update(overrides)
        return from_config(SftpResource, SftpConfig(**config))  # type: ignore[arg-type]

    @contextmanager
    def raw_sftp(self) -> Iterator[paramiko.SFTPClient]:
        """An SFTP session independent of `SftpResource` (plain paramiko, pinned host key)."""
        client = paramiko.SSHClient()
        try:
            client.load_host_keys(str(self.known_hosts_file))
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
            client.connect(
                self.host,
                port=self.port,
                username=self.user,
                key_filename=str(self.client_key_file),
                timeout=5,
                banner_timeout=5,
                auth_timeout=5,
                look_for_keys=False,
                allow_agent=False,
            )
            with client.open_sftp() as sftp:
                yield sftp
        finally:
            client.close()
