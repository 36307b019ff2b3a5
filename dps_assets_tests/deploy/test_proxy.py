"""The shipped nginx site (deploy/nginx/dps-exchange.conf), run by Debian's nginx with only its
ports, certificates and log folder changed, in front of a stand-in oauth2-proxy and stand-ins for
the two UIs: each vhost lets in its own group only, the auth subrequest carries no body, the UIs
get the vhost's Host and the scheme, port 80 redirects to HTTPS."""

from __future__ import annotations

import re
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dps_assets_tests.support.certificates import make_test_certificates
from dps_assets_tests.support.reverse_proxy import (
    ANALYSTS_HOST,
    OPERATORS_HOST,
    SITE,
    Nginx,
    OAuth2ProxyStandIn,
    StandIn,
    render_site,
    running_nginx,
    serving,
    write_nginx_conf,
)
from dps_assets_tests.support.servers import free_port


@dataclass(frozen=True)
class Proxy:
    nginx: Nginx
    oauth2_proxy: StandIn
    operators_ui: StandIn
    analysts_ui: StandIn

    def forget(self) -> None:
        for stand_in in (self.oauth2_proxy, self.operators_ui, self.analysts_ui):
            stand_in.seen.clear()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    folder = tmp_path_factory.mktemp("nginx")
    certificates = make_test_certificates(folder / "tls", dns_names=(OPERATORS_HOST, ANALYSTS_HOST))
    with (serving(OAuth2ProxyStandIn("oauth2-proxy")) as oauth2_proxy,
          serving(StandIn("operators-ui")) as operators_ui,
          serving(StandIn("analysts-ui")) as analysts_ui):
        nginx = Nginx(folder, free_port(), free_port(), certificates)
        write_nginx_conf(folder, render_site(
            SITE.read_text(encoding="utf-8"), http_port=nginx.http_port, https_port=nginx.https_port,
            oauth2_proxy_port=oauth2_proxy.port, operators_ui_port=operators_ui.port,
            analysts_ui_port=analysts_ui.port, certificates=certificates, log_dir=folder))
        with running_nginx(nginx):
            yield Proxy(nginx, oauth2_proxy, operators_ui, analysts_ui)


def test_nginx_accepts_the_site(proxy: Proxy) -> None:
    checked = subprocess.run([*proxy.nginx.command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr and "test is successful" in checked.stderr


def test_an_analyst_reaches_the_analysts_ui_and_is_refused_the_operators(proxy: Proxy) -> None:
    proxy.forget()
    assert proxy.nginx.request(ANALYSTS_HOST, "/assets", user="ana").status == 200
    assert [r.path for r in proxy.analysts_ui.seen] == ["/assets"]

    refused = proxy.nginx.request(OPERATORS_HOST, "/graphql", user="ana", method="POST", body=b"{}")
    assert refused.status == 403  # signed in, wrong group: no sign-in loop
    assert proxy.operators_ui.seen == []


def test_an_operator_reaches_both_uis(proxy: Proxy) -> None:
    proxy.forget()
    assert proxy.nginx.request(OPERATORS_HOST, "/runs", user="olga").status == 200
    assert proxy.nginx.request(ANALYSTS_HOST, "/runs", user="olga").status == 200
    assert [r.path for r in proxy.operators_ui.seen] == ["/runs"]
    assert [r.path for r in proxy.analysts_ui.seen] == ["/runs"]
    assert re.search(r'"olga" \[', (proxy.nginx.folder / "dps-exchange.access.log").read_text(encoding="utf-8"))


def test_someone_in_neither_group_is_refused_both(proxy: Proxy) -> None:
    proxy.forget()
    assert proxy.nginx.request(OPERATORS_HOST, "/", user="eve").status == 403
    assert proxy.nginx.request(ANALYSTS_HOST, "/", user="eve").status == 403
    assert proxy.operators_ui.seen == [] and proxy.analysts_ui.seen == []


def test_without_a_session_the_browser_is_sent_to_sign_in(proxy: Proxy) -> None:
    proxy.forget()
    response = proxy.nginx.request(OPERATORS_HOST, "/runs?tab=queued")
    assert response.status == 302
    assert response.getheader("Location", "").endswith(
        f"/oauth2/sign_in?rd=https://{OPERATORS_HOST}/runs?tab=queued")
    assert proxy.operators_ui.seen == []


def test_the_auth_subrequest_asks_for_the_vhosts_group_without_a_body(proxy: Proxy) -> None:
    proxy.forget()
    proxy.nginx.request(OPERATORS_HOST, "/graphql", user="olga", method="POST", body=b'{"query": "{ version }"}',
                        headers={"Content-Type": "application/json"})
    proxy.nginx.request(ANALYSTS_HOST, "/graphql", user="ana", method="POST", body=b'{"query": "{ version }"}')
    operators_check, analysts_check = proxy.oauth2_proxy.seen
    assert operators_check.path == "/oauth2/auth?allowed_groups=dps-exchange-operators"
    assert analysts_check.path == "/oauth2/auth?allowed_groups=dps-exchange-analysts,dps-exchange-operators"
    for check, host in ((operators_check, OPERATORS_HOST), (analysts_check, ANALYSTS_HOST)):
        assert check.body == b""
        assert "content-length" not in check.headers and "transfer-encoding" not in check.headers
        assert check.headers["host"] == host
        assert check.headers["x-forwarded-proto"] == "https"
        assert check.headers["x-forwarded-uri"] == "/graphql"
    # the UI itself gets the body
    assert proxy.operators_ui.seen[0].body == b'{"query": "{ version }"}'


def test_the_uis_get_the_vhost_the_scheme_and_the_clients_address(proxy: Proxy) -> None:
    proxy.forget()
    proxy.nginx.request(OPERATORS_HOST, "/server_info", user="olga", headers={"X-Forwarded-For": "10.9.9.9"})
    seen = proxy.operators_ui.seen[0].headers
    assert seen["host"] == OPERATORS_HOST
    assert seen["x-forwarded-proto"] == "https"
    assert seen["x-forwarded-for"] == "127.0.0.1"  # the client's claim is not passed on


def test_a_websocket_upgrade_is_passed_on(proxy: Proxy) -> None:
    proxy.forget()
    proxy.nginx.request(ANALYSTS_HOST, "/graphql", user="ana",
                        headers={"Upgrade": "websocket", "Connection": "Upgrade"})
    seen = proxy.analysts_ui.seen[0].headers
    assert seen["upgrade"] == "websocket" and seen["connection"] == "upgrade"


def test_every_ui_location_gives_websockets_an_hour(proxy: Proxy) -> None:
    ui_locations = re.findall(r"location / \{(.*?)\n    \}", SITE.read_text(encoding="utf-8"), re.S)
    assert len(ui_locations) == 2
    for location in ui_locations:
        assert "proxy_read_timeout 1h;" in location and "proxy_http_version 1.1;" in location


def test_the_auth_endpoint_cannot_be_asked_from_outside(proxy: Proxy) -> None:
    proxy.forget()
    response = proxy.nginx.request(OPERATORS_HOST, "/oauth2/auth?allowed_groups=staff", user="eve")
    assert response.status == 404
    assert proxy.oauth2_proxy.seen == []


def test_port_80_redirects_to_https(proxy: Proxy) -> None:
    for host in (OPERATORS_HOST, ANALYSTS_HOST):
        answer = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                                 "-H", f"Host: {host}", f"http://127.0.0.1:{proxy.nginx.http_port}/runs?x=1"],
                                capture_output=True, text=True, timeout=30, check=True)
        assert answer.stdout == f"301 https://{host}/runs?x=1"


def test_an_unknown_name_gets_no_certificate(proxy: Proxy) -> None:
    with pytest.raises(ssl.SSLError):
        proxy.nginx.request("other.dfps.internal", "/")


def test_the_site_runs_with_debians_nginx_layout(tmp_path: Path) -> None:
    """`nginx -t` with the shipped file unchanged, included as Debian includes conf.d, but with
    its certificates present: only the certificates and the log folder are the site's."""
    certificates = make_test_certificates(tmp_path / "tls", dns_names=(OPERATORS_HOST, ANALYSTS_HOST))
    site = SITE.read_text(encoding="utf-8")
    site = re.sub(r"ssl_certificate +\S+;", f"ssl_certificate {certificates.cert_file};", site)
    site = re.sub(r"ssl_certificate_key +\S+;", f"ssl_certificate_key {certificates.key_file};", site)
    site = site.replace("access_log /var/log/nginx/", f"access_log {tmp_path}/")
    write_nginx_conf(tmp_path, site)
    nginx = Nginx(tmp_path, 80, 443, certificates)
    checked = subprocess.run([*nginx.command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
