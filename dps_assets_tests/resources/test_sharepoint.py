"""The SharePoint publisher against the loopback Entra ID and Graph (support/graph_server.py),
over HTTPS with a test CA: msal's discovery and client-credentials token request, one PUT per
workbook under the library path with the bearer token, the web address Graph answers (which opens
the uploaded file), Retry-After waited for as the server asked (timed by the server's clock), and
errors that are clear and carry no secret. No real tenant is reachable from here (docs/operations.md:
"Honesty about SharePoint")."""

from __future__ import annotations

import ssl
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from dps_assets.resources.graph_http import retry_after_s
from dps_assets.resources.sharepoint import SharePointError
from dps_assets_tests.support.graph_server import CLIENT_ID, SECRET, TENANT, loopback_graph
from dps_assets_tests.support.servers import free_port

QUARTER = "FY2026_Q4"
FOLDER = f"Shared Documents/DPS reports/{QUARTER}"


@pytest.fixture
def graph(tmp_path):
    with loopback_graph(tmp_path / "tls") as server:
        yield server


@pytest.fixture
def workbooks(tmp_path) -> list[Path]:
    files = []
    for name in (f"IMPACT_not_in_DPS_{QUARTER}.xlsx", f"DPS_not_in_IMPACT_{QUARTER}.xlsx"):
        files.append(tmp_path / name)
        files[-1].write_bytes(f"workbook {name}".encode())
    return files


def opened(url: str, ca_file: Path) -> bytes:
    """What a browser trusting the test CA gets from `url`."""
    with urllib.request.urlopen(url, timeout=10, context=ssl.create_default_context(cafile=ca_file)) as answer:
        return answer.read()


def test_each_workbook_is_put_into_the_quarter_folder_with_one_token_and_its_web_address_opens_it(
        graph, workbooks):
    publisher = graph.publisher()
    urls = [publisher.publish(w, QUARTER) for w in workbooks]

    discovery, token, *puts = graph.requests
    assert (discovery.method, discovery.path) == ("GET", f"/{TENANT}/v2.0/.well-known/openid-configuration")
    assert (token.method, token.path) == ("POST", f"/{TENANT}/oauth2/v2.0/token")
    form = urllib.parse.parse_qs(token.body.decode())
    assert form["grant_type"] == ["client_credentials"] and form["client_id"] == [CLIENT_ID]
    assert form["scope"] == [f"{graph.base_url}/.default"]  # Graph's origin: graph.microsoft.us in GCC High
    # Both uploads used the token msal cached: one token request for the run's reports.
    assert [(p.method, urllib.parse.unquote(p.path)) for p in puts] == [
        ("PUT", f"/v1.0/sites/site-1/drive/root:/{FOLDER}/{w.name}:/content") for w in workbooks]
    assert [p.body for p in puts] == [w.read_bytes() for w in workbooks]
    assert all(p.headers["Authorization"] == "Bearer token-1" for p in puts) and graph.tokens_issued == 1

    assert all(u is not None and u.startswith(f"{graph.base_url}/sites/site-1/") for u in urls)
    assert [opened(u, graph.ca_file) for u in urls if u] == [w.read_bytes() for w in workbooks]


def test_disabled_sends_nothing(graph, workbooks):
    assert graph.publisher(enabled=False).publish(workbooks[0], QUARTER) is None
    assert graph.requests == []


def test_a_refused_secret_is_a_clear_error_that_does_not_repeat_it(graph, workbooks):
    with pytest.raises(SharePointError) as caught:
        graph.publisher(client_secret="wrong-secret").publish(workbooks[0], QUARTER)
    message = str(caught.value)
    assert message == f"{graph.base_url}/{TENANT}: no token for client {CLIENT_ID}: invalid_client (AADSTS7000215)"
    assert "wrong-secret" not in message and SECRET not in message
    assert graph.seen("PUT") == []  # no upload was tried
    assert len(graph.seen("POST")) == 1  # a 401 is not retried


def test_an_unreachable_authority_is_a_clear_error(tmp_path, workbooks):
    port = free_port()  # nothing listens there
    with loopback_graph(tmp_path / "tls") as graph:
        publisher = graph.publisher(login_url=f"https://127.0.0.1:{port}")
    with pytest.raises(SharePointError, match=rf"^https://127.0.0.1:{port}/{TENANT}/v2.0/.well-known/"
                                              r"openid-configuration: no answer after 3 tries"):
        publisher.publish(workbooks[0], QUARTER)


def test_a_server_whose_certificate_is_not_trusted_is_refused(graph, workbooks):
    with pytest.raises(SharePointError, match="the server's certificate is not trusted"):
        graph.publisher(ca_file=None).publish(workbooks[0], QUARTER)  # the system's CAs: not the test CA
    assert graph.requests == []


def test_a_throttled_token_request_waits_the_seconds_retry_after_asks(graph, workbooks):
    graph.fail_next("POST", "/oauth2/v2.0/token", 429, Retry_After="2")  # longer than the default 1 s
    assert graph.publisher().publish(workbooks[0], QUARTER)
    first, second = graph.seen("POST")
    assert second.at - first.at >= 2.0  # as the server measured it


def test_a_busy_upload_waits_until_the_http_date_retry_after_names(graph, workbooks):
    publisher = graph.publisher()
    publisher.publish(workbooks[0], QUARTER)  # discovery and token first
    later = http_date(time.time() + 3.5)  # whole seconds: 2.5 s to 3.5 s from now
    graph.fail_next("PUT", workbooks[1].name, 503, Retry_After=later)
    assert publisher.publish(workbooks[1], QUARTER)
    first, second = graph.seen("PUT")[1:]
    assert second.at - first.at >= 2.0 and second.body == first.body == workbooks[1].read_bytes()


def test_a_busy_graph_without_retry_after_is_retried_and_a_refusal_is_not(graph, workbooks):
    publisher = graph.publisher()
    graph.fail_next("PUT", workbooks[0].name, 503)
    assert publisher.publish(workbooks[0], QUARTER)
    assert len(graph.seen("PUT")) == 2
    first, second = graph.seen("PUT")
    assert second.at - first.at >= 1.0  # the default wait
    graph.fail_next("PUT", workbooks[1].name, 403)
    refused = rf"the upload of {workbooks[1].name} was refused: HTTP 403 \(accessDenied\)$"
    with pytest.raises(SharePointError, match=refused):
        publisher.publish(workbooks[1], QUARTER)
    assert len(graph.seen("PUT")) == 3  # a 403 is not retried


def test_a_retry_after_beyond_the_cap_fails_at_once_saying_so(graph, workbooks):
    publisher = graph.publisher(max_retry_wait_s=30)
    publisher.publish(workbooks[0], QUARTER)
    graph.fail_next("PUT", workbooks[1].name, 429, Retry_After="3600")
    started = time.monotonic()
    with pytest.raises(SharePointError, match=r"HTTP 429, and the server asks to retry after 3600 s, longer than "
                                              r"sharepoint.max_retry_wait_s \(30 s\)"):
        publisher.publish(workbooks[1], QUARTER)
    assert time.monotonic() - started < 10 and len(graph.seen("PUT")) == 2


def test_retry_after_is_seconds_or_an_http_date():
    now = 1_800_000_000.0
    assert retry_after_s("7", now) == 7.0
    assert retry_after_s(http_date(now + 30), now) == 30.0
    assert retry_after_s(http_date(now - 30), now) == 0.0  # a moment passed: no wait
    assert retry_after_s("soon", now) is None and retry_after_s(None, now) is None


def http_date(epoch: float) -> str:
    """`Sun, 06 Nov 1994 08:49:37 GMT`: whole seconds, the fraction dropped."""
    return format_datetime(datetime.fromtimestamp(epoch, UTC), usegmt=True)
