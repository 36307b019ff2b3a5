"""The SharePoint publisher's requests, against a loopback HTTP server that answers the two
Microsoft Graph calls it makes. No real tenant is reachable from here (docs/operations.md:
"Honesty about SharePoint"); this pins down what is sent: the client-credentials token request, one PUT per
workbook under the library path, the bearer token, the bytes, and errors that carry no secret."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dps_assets.resources.sharepoint import SharePointError, SharePointResource

SECRET = "client-secret-value"


class GraphStandIn(BaseHTTPRequestHandler):
    requests: list[tuple[str, str, dict, bytes]]

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> bytes:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append((self.command, self.path, dict(self.headers), body))
        return body

    def do_POST(self) -> None:
        form = urllib.parse.parse_qs(self._record().decode())
        if self.path == "/tenant-1/oauth2/v2.0/token" and form.get("client_secret") == [SECRET]:
            self._answer(200, {"access_token": "token-1", "token_type": "Bearer"})
        else:
            self._answer(401, {"error": "invalid_client"})

    def do_PUT(self) -> None:
        self._record()
        if self.server.busy_puts > 0:  # Graph throttling or a gateway hiccup
            self.server.busy_puts -= 1
            self._answer(503, {"error": "serviceNotAvailable"})
        elif self.headers.get("Authorization") != "Bearer token-1":
            self._answer(401, {"error": "InvalidAuthenticationToken"})
        else:
            self._answer(201, {"webUrl": f"https://sharepoint.example{urllib.parse.unquote(self.path)}"})

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def graph() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), GraphStandIn)
    server.requests = []
    server.busy_puts = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def publisher(graph: ThreadingHTTPServer, **overrides) -> SharePointResource:
    base = f"http://127.0.0.1:{graph.server_port}"
    return SharePointResource(**{
        "enabled": True, "site_id": "site-1", "library_path": "/Shared Documents/DPS reports/",
        "tenant_id": "tenant-1", "client_id": "client-1", "client_secret": SECRET,
        "graph_url": f"{base}/v1.0", "login_url": base, "timeout_s": 10, **overrides})


@pytest.fixture
def workbooks(tmp_path) -> list[Path]:
    files = []
    for name in ("IMPACT_not_in_DPS_FY2026_Q4.xlsx", "DPS_not_in_IMPACT_FY2026_Q4.xlsx"):
        files.append(tmp_path / name)
        files[-1].write_bytes(f"workbook {name}".encode())
    return files


def test_each_workbook_is_put_into_the_quarter_folder_with_the_token(graph, workbooks):
    urls = publisher(graph).publish(workbooks, "FY2026_Q4")

    (method, path, _, body), *puts = graph.requests
    assert (method, path) == ("POST", "/tenant-1/oauth2/v2.0/token")
    form = urllib.parse.parse_qs(body.decode())
    assert form["grant_type"] == ["client_credentials"] and form["client_id"] == ["client-1"]
    assert form["scope"] == [f"http://127.0.0.1:{graph.server_port}/.default"]

    assert [(m, p) for m, p, _, _ in puts] == [
        ("PUT", "/v1.0/sites/site-1/drive/root:/Shared%20Documents/DPS%20reports/FY2026_Q4/"
                f"{w.name}:/content") for w in workbooks]
    assert [b for _, _, _, b in puts] == [w.read_bytes() for w in workbooks]
    assert all(h["Authorization"] == "Bearer token-1" for _, _, h, _ in puts)
    assert urls == [f"https://sharepoint.example/v1.0/sites/site-1/drive/root:/Shared Documents/DPS reports/"
                    f"FY2026_Q4/{w.name}:/content" for w in workbooks]


def test_disabled_sends_nothing(graph, workbooks):
    assert publisher(graph, enabled=False).publish(workbooks, "FY2026_Q4") == []
    assert graph.requests == []


def test_a_refused_secret_is_a_clear_error_that_does_not_repeat_it(graph, workbooks):
    with pytest.raises(SharePointError) as caught:
        publisher(graph, client_secret="wrong").publish(workbooks, "FY2026_Q4")
    assert "/tenant-1/oauth2/v2.0/token" in str(caught.value) and "401" in str(caught.value)
    assert "wrong" not in str(caught.value)
    assert [m for m, *_ in graph.requests] == ["POST"]  # no upload was tried


def test_an_unreachable_graph_is_a_clear_error(workbooks):
    closed = ThreadingHTTPServer(("127.0.0.1", 0), GraphStandIn)
    closed.server_close()  # the port is free again: nothing listens
    with pytest.raises(SharePointError, match=f"127.0.0.1:{closed.server_port}"):
        publisher(closed).publish(workbooks, "FY2026_Q4")


def test_a_busy_graph_is_retried_and_a_refusal_is_not(graph, workbooks):
    graph.busy_puts = 2
    urls = publisher(graph).publish(workbooks, "FY2026_Q4")
    assert len(urls) == len(workbooks)
    puts = [r for r in graph.requests if r[0] == "PUT"]
    assert len(puts) == len(workbooks) + 2  # the first file took three tries
    graph.requests.clear()
    with pytest.raises(SharePointError):
        publisher(graph, client_secret="wrong").publish(workbooks, "FY2026_Q4")
    assert len(graph.requests) == 1  # a 401 is not retried
