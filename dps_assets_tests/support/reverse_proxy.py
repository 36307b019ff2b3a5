"""The shipped nginx site (deploy/nginx/dps-exchange.conf) run by Debian's nginx on free loopback
ports, in front of stand-ins: one for oauth2-proxy (answers /oauth2/auth as oauth2-proxy does:
202 with X-Auth-Request-* for a session in one of `allowed_groups`, 403 for a session in none,
401 without a session) and one for each Dagster UI. Every stand-in records the requests it got."""

from __future__ import annotations

import http.client
import http.server
import re
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from dps_assets_tests.support.certificates import LoopbackCertificates
from dps_assets_tests.support.processes import wait_until_gone
from dps_assets_tests.support.servers import LOCALHOST

NGINX = Path("/usr/sbin/nginx")
SITE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "dps-exchange.conf"
OPERATORS_HOST = "dps-exchange.dfps.internal"
ANALYSTS_HOST = "dps-lineage.dfps.internal"
SESSION_COOKIE = "_dps_exchange_auth"
# The stand-in identity provider's people: a session cookie names one of them.
GROUPS_OF = {"olga": ["dps-exchange-operators"], "ana": ["dps-exchange-analysts"], "eve": ["staff"]}


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


@dataclass
class StandIn:
    """A loopback HTTP server that records what it gets and answers with `respond`."""

    name: str
    seen: list[SeenRequest] = field(default_factory=list)
    server: http.server.ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_address[1]

    def respond(self, request: SeenRequest) -> tuple[int, dict[str, str]]:
        return 200, {}


class OAuth2ProxyStandIn(StandIn):
    def respond(self, request: SeenRequest) -> tuple[int, dict[str, str]]:
        url = urlsplit(request.path)
        if url.path != "/oauth2/auth":
            return 200, {}  # the sign-in page
        session = SimpleCookie(request.headers.get("cookie", "")).get(SESSION_COOKIE)
        user = session.value if session else ""
        if user not in GROUPS_OF:
            return 401, {}
        allowed = {g for value in parse_qs(url.query).get("allowed_groups", []) for g in value.split(",") if g}
        if allowed and not allowed & set(GROUPS_OF[user]):
            return 403, {}
        return 202, {"X-Auth-Request-User": user, "X-Auth-Request-Groups": ",".join(GROUPS_OF[user])}


@contextmanager
def serving(stand_in: StandIn) -> Iterator[StandIn]:
    """Bind `stand_in` to a free loopback port (listening when this returns) and serve it from a
    thread until the block ends."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = SeenRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                  self.rfile.read(length))
            stand_in.seen.append(request)
            status, headers = stand_in.respond(request)
            body = stand_in.name.encode("ascii")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    stand_in.server = http.server.ThreadingHTTPServer((LOCALHOST, 0), Handler)
    thread = threading.Thread(target=stand_in.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        stand_in.server.shutdown()
        stand_in.server.server_close()
        thread.join(timeout=5)


def render_site(site: str, *, http_port: int, https_port: int, oauth2_proxy_port: int, operators_ui_port: int,
                analysts_ui_port: int, certificates: LoopbackCertificates, log_dir: Path) -> str:
    """The shipped site with its ports, certificates and logs moved for a test. Each
    substitution must find what it replaces as often as the shipped file has it, so a change to
    the file that the test would no longer cover fails here."""
    substitutions = [
        (r"listen 80;", f"listen {LOCALHOST}:{http_port};", 1),
        (r"listen 80 default_server;", f"listen {LOCALHOST}:{http_port} default_server;", 1),
        (r"listen 443 ssl;", f"listen {LOCALHOST}:{https_port} ssl;", 2),
        (r"listen 443 ssl default_server;", f"listen {LOCALHOST}:{https_port} ssl default_server;", 1),
        (r"proxy_pass http://127\.0\.0\.1:4180\b", f"proxy_pass http://{LOCALHOST}:{oauth2_proxy_port}", 4),
        (r"proxy_pass http://127\.0\.0\.1:3000;", f"proxy_pass http://{LOCALHOST}:{operators_ui_port};", 1),
        (r"proxy_pass http://127\.0\.0\.1:3001;", f"proxy_pass http://{LOCALHOST}:{analysts_ui_port};", 1),
        (r"ssl_certificate +\S+;", f"ssl_certificate {certificates.cert_file};", 2),
        (r"ssl_certificate_key +\S+;", f"ssl_certificate_key {certificates.key_file};", 2),
        (r"access_log /var/log/nginx/", f"access_log {log_dir}/", 2),
    ]
    for pattern, replacement, count in substitutions:
        site, found = re.subn(pattern, replacement, site)
        assert found == count, f"{SITE.name}: {pattern!r} found {found} times, expected {count}"
    return site


@dataclass(frozen=True)
class Nginx:
    folder: Path
    http_port: int
    https_port: int
    certificates: LoopbackCertificates

    @property
    def command(self) -> list[str]:
        return [str(NGINX), "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"),
                "-e", str(self.folder / "error.log")]

    def request(self, host: str, path: str, *, user: str | None = None, method: str = "GET",
                headers: dict[str, str] | None = None, body: bytes | None = None) -> http.client.HTTPResponse:
        """`method path` over HTTPS to the vhost `host` (SNI and Host), as `user`'s session."""
        context = ssl.create_default_context(cafile=str(self.certificates.ca_file))
        connection = _VhostConnection(host, self.https_port, context)
        sent = {"Host": host, **(headers or {})}
        if user:
            sent["Cookie"] = f"{SESSION_COOKIE}={user}"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response


class _VhostConnection(http.client.HTTPSConnection):
    def __init__(self, vhost: str, port: int, context: ssl.SSLContext):
        super().__init__(LOCALHOST, port, context=context, timeout=10)
        self._vhost, self._tls = vhost, context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._tls.wrap_socket(self.sock, server_hostname=self._vhost)


def write_nginx_conf(folder: Path, site: str) -> None:
    """A private nginx.conf (pid, logs and temporary files in `folder`) that includes `site`."""
    (folder / "dps-exchange.conf").write_text(site, encoding="utf-8")
    temp = "\n".join(f"    {kind}_temp_path {folder}/{kind}_temp;"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (folder / "nginx.conf").write_text(
        f"worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\n    access_log {folder}/access.log;\n{temp}\n    include {folder}/dps-exchange.conf;\n}}\n",
        encoding="ascii")


@contextmanager
def running_nginx(nginx: Nginx) -> Iterator[Nginx]:
    """nginx as a daemon: its command returns once its ports listen. Stopped at the end."""
    subprocess.run(nginx.command, check=True, capture_output=True, timeout=30)
    pid = int((nginx.folder / "nginx.pid").read_text(encoding="ascii"))
    try:
        yield nginx
    finally:
        subprocess.run([*nginx.command, "-s", "stop"], check=False, capture_output=True, timeout=30)
        wait_until_gone([pid], timeout_s=10)
