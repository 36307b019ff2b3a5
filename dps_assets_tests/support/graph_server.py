"""A loopback stand-in for Entra ID and Microsoft Graph, over HTTPS with a test CA, speaking the
protocol the SharePoint publisher and msal speak (no real tenant is reachable from here):

- GET  /<tenant>/v2.0/.well-known/openid-configuration: the authority's OpenID configuration,
  naming the token endpoint (msal's tenant discovery);
- POST /<tenant>/oauth2/v2.0/token: the client-credentials grant; a wrong client or secret is
  401 invalid_client with an AADSTS code, as Entra ID answers;
- PUT  /v1.0/sites/<site>/drive/root:/<path>:/content with the bearer token: stores the file and
  answers a driveItem whose webUrl is
- GET  /sites/<site>/<path>: the stored file, as a browser opening the link gets it.

Every request is recorded with the server's `time.monotonic()` when it arrived, so a test reads
how long the client waited between two tries from the server's side. `fail_next` scripts answers
(a 429 with Retry-After, a 503) for the next requests that match."""

from __future__ import annotations

import json
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from dps_assets.resources.sharepoint import SharePointResource
from dps_assets_tests.support.certificates import LoopbackCertificates, make_test_certificates
from dps_assets_tests.support.servers import LOCALHOST

TENANT, CLIENT_ID, SECRET, SITE = "tenant-1", "client-1", "client-secret-value", "site-1"
# Graph's error codes for the statuses a test scripts.
GRAPH_ERROR_CODES = {403: "accessDenied", 429: "TooManyRequests", 503: "serviceNotAvailable"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # the server's time.monotonic() when the request arrived


@dataclass
class Scripted:
    method: str
    path_part: str
    status: int
    headers: dict[str, str]


@dataclass
class LoopbackGraph:
    port: int
    ca_file: Path
    requests: list[Seen] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # by path inside the drive
    scripted: list[Scripted] = field(default_factory=list)
    tokens_issued: int = 0

    @property
    def base_url(self) -> str:
        return f"https://{LOCALHOST}:{self.port}"

    def fail_next(self, method: str, path_part: str, status: int, **headers: str) -> None:
        """The next `method` request whose path holds `path_part` is answered `status` with `headers`
        (`Retry_After="1"` is the header Retry-After)."""
        self.scripted.append(Scripted(method, path_part, status,
                                      {k.replace("_", "-"): v for k, v in headers.items()}))

    def seen(self, method: str) -> list[Seen]:
        return [r for r in self.requests if r.method == method]

    def publisher(self, **overrides: object) -> SharePointResource:
        """A SharePointResource configured for this server and its CA."""
        settings: dict[str, object] = {
            "enabled": True, "site_id": SITE, "library_path": "/Shared Documents/DPS reports/",
            "tenant_id": TENANT, "client_id": CLIENT_ID, "client_secret": SECRET,
            "graph_url": f"{self.base_url}/v1.0", "login_url": self.base_url, "ca_file": str(self.ca_file),
            "timeout_s": 10, "max_retry_wait_s": 30}
        return SharePointResource(**{**settings, **overrides})


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self, status: int, body: bytes | dict, content_type: str = "application/json",
                headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        self.send_response(status)
        for name, value in {"Content-Type": content_type, "Content-Length": str(len(data)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _arrived(self) -> bytes | None:
        """Record the request; answer it here if it was scripted (None then)."""
        at = time.monotonic()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        graph = self.server.graph
        graph.requests.append(Seen(self.command, self.path, dict(self.headers), body, at))
        for scripted in graph.scripted:
            if scripted.method == self.command and scripted.path_part in self.path:
                graph.scripted.remove(scripted)
                code = GRAPH_ERROR_CODES.get(scripted.status, "generalException")
                self._answer(scripted.status, {"error": {"code": code, "message": "scripted"}},
                             headers=scripted.headers)
                return None
        return body

    def do_GET(self) -> None:
        if self._arrived() is None:
            return
        base, path = self.server.graph.base_url, urllib.parse.urlsplit(self.path).path
        if path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
            self._answer(200, {"issuer": f"{base}/{TENANT}/v2.0",
                               "authorization_endpoint": f"{base}/{TENANT}/oauth2/v2.0/authorize",
                               "token_endpoint": f"{base}/{TENANT}/oauth2/v2.0/token"})
        elif path.startswith(f"/sites/{SITE}/") and urllib.parse.unquote(path[len(f"/sites/{SITE}/"):]) \
                in self.server.graph.files:
            self._answer(200, self.server.graph.files[urllib.parse.unquote(path[len(f"/sites/{SITE}/"):])], XLSX)
        else:
            self._answer(404, {"error": "not_found"})

    def do_POST(self) -> None:
        body = self._arrived()
        if body is None:
            return
        form = urllib.parse.parse_qs(body.decode())
        if self.path != f"/{TENANT}/oauth2/v2.0/token":
            self._answer(404, {"error": "not_found"})
        elif form.get("client_id") != [CLIENT_ID] or form.get("client_secret") != [SECRET] \
                or form.get("grant_type") != ["client_credentials"]:
            self._answer(401, {"error": "invalid_client", "error_codes": [7000215],
                               "error_description": "AADSTS7000215: Invalid client secret provided."})
        else:
            self.server.graph.tokens_issued += 1
            self._answer(200, {"access_token": f"token-{self.server.graph.tokens_issued}",
                               "token_type": "Bearer", "expires_in": 3599})

    def do_PUT(self) -> None:
        body = self._arrived()
        if body is None:
            return
        prefix, suffix = f"/v1.0/sites/{SITE}/drive/root:/", ":/content"
        graph = self.server.graph
        if not (self.path.startswith(prefix) and self.path.endswith(suffix)):
            self._answer(404, {"error": {"code": "itemNotFound"}})
        elif self.headers.get("Authorization") not in {f"Bearer token-{n}" for n in range(1, graph.tokens_issued + 1)}:
            self._answer(401, {"error": {"code": "InvalidAuthenticationToken"}})
        else:
            quoted = self.path[len(prefix):-len(suffix)]
            graph.files[urllib.parse.unquote(quoted)] = body
            self._answer(201, {"id": f"item-{len(graph.files)}", "name": quoted.rsplit("/", 1)[-1],
                               "size": len(body), "webUrl": f"{graph.base_url}/sites/{SITE}/{quoted}"})

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    graph: LoopbackGraph


@contextmanager
def loopback_graph(folder: Path, certificates: LoopbackCertificates | None = None) -> Iterator[LoopbackGraph]:
    """The stand-in on a free port of 127.0.0.1, its certificate signed by a new test CA in `folder`."""
    certificates = certificates or make_test_certificates(folder)
    server = _Server((LOCALHOST, 0), _Handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(certificates.cert_file, certificates.key_file)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.graph = LoopbackGraph(server.server_address[1], certificates.ca_file)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.graph
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
