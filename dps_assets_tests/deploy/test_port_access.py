"""The shipped port rules (deploy/nftables/dps-exchange.nft), loaded into this machine's
firewall in a table of their own (its name, its ports and the service's user changed, deleted at
the end): a local user who is neither the proxy nor the service is refused the UIs, the code
server and oauth2-proxy; the proxy's user reaches the UIs and oauth2-proxy, not the code server;
the service's user reaches the UIs (its health check) and the code server."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dps_assets_tests.support.servers import LOCALHOST

RULES = Path(__file__).resolve().parents[2] / "deploy" / "nftables" / "dps-exchange.nft"
NFT = "/usr/sbin/nft"
PROXY_USER = "www-data"  # as shipped
SERVICE_USER = "daemon"  # stands in for dpsexchange, which this machine does not have
PORT_NAMES = ("operators_ui_port", "analysts_ui_port", "code_server_port", "oauth2_proxy_port")


@dataclass(frozen=True)
class LoadedRules:
    ports: dict[str, int]  # PORT_NAMES -> a loopback port something listens on


def render_rules(rules: str, table: str, users: dict[str, str], ports: dict[str, int]) -> str:
    """The shipped rules with their table's name, users and ports replaced; each must be found."""
    values = {**{name: f'"{user}"' for name, user in users.items()}, **{name: str(p) for name, p in ports.items()}}
    for name, value in values.items():
        rules, found = re.subn(rf"^define {name} = .*$", f"define {name} = {value}", rules, flags=re.M)
        assert found == 1, f"{RULES.name} defines {name} {found} times"
    rules, found = re.subn(r"\btable inet dps_exchange_access\b", f"table inet {table}", rules)
    assert found == 3, f"{RULES.name} names its table {found} times, expected 3 (create, delete, define)"
    return rules


def connects(user: str, port: int) -> bool:
    """Whether `user` (a process running as that user) can open a TCP connection to the port."""
    attempt = subprocess.run(["runuser", "-u", user, "--", "bash", "-c", f"exec 3<>/dev/tcp/{LOCALHOST}/{port}"],
                             capture_output=True, text=True, timeout=30)
    assert attempt.returncode == 0 or "Connection refused" in attempt.stderr, attempt.stderr
    return attempt.returncode == 0


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedRules]:
    listeners = []
    for _ in PORT_NAMES:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((LOCALHOST, 0))
        listener.listen(16)
        listeners.append(listener)
    ports = {name: listener.getsockname()[1] for name, listener in zip(PORT_NAMES, listeners, strict=True)}
    table = f"dps_exchange_access_test_{os.getpid()}"
    rules_file = tmp_path_factory.mktemp("nft") / "rules.nft"
    rules_file.write_text(render_rules(RULES.read_text(encoding="utf-8"), table,
                                       {"proxy_user": PROXY_USER, "service_user": SERVICE_USER}, ports),
                          encoding="utf-8")
    try:
        for _ in range(2):  # loading it again replaces its table, as a reload at boot would
            subprocess.run([NFT, "-f", str(rules_file)], check=True, capture_output=True, timeout=30)
        yield LoadedRules(ports)
    finally:
        subprocess.run([NFT, "delete", "table", "inet", table], check=False, capture_output=True, timeout=30)
        for listener in listeners:
            listener.close()


def test_another_local_user_is_refused_everything(loaded: LoadedRules) -> None:
    for name, port in loaded.ports.items():
        assert not connects("nobody", port), name


def test_the_proxys_user_reaches_the_uis_and_oauth2_proxy_only(loaded: LoadedRules) -> None:
    assert connects(PROXY_USER, loaded.ports["operators_ui_port"])
    assert connects(PROXY_USER, loaded.ports["analysts_ui_port"])
    assert connects(PROXY_USER, loaded.ports["oauth2_proxy_port"])
    assert not connects(PROXY_USER, loaded.ports["code_server_port"])


def test_the_services_user_reaches_the_code_server_and_the_uis_not_oauth2_proxy(loaded: LoadedRules) -> None:
    assert connects(SERVICE_USER, loaded.ports["code_server_port"])
    assert connects(SERVICE_USER, loaded.ports["operators_ui_port"])
    assert connects(SERVICE_USER, loaded.ports["analysts_ui_port"])
    assert not connects(SERVICE_USER, loaded.ports["oauth2_proxy_port"])


def test_the_rules_touch_only_their_ports(loaded: LoadedRules) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind((LOCALHOST, 0))
        other.listen(1)
        assert connects("nobody", other.getsockname()[1])


def test_the_shipped_file_names_its_users_and_the_units_ports() -> None:
    """The shipped defaults are the units' ports and users (a rule on the wrong port protects nothing)."""
    rules = RULES.read_text(encoding="utf-8")
    units = RULES.parents[1] / "systemd"
    assert 'define service_user = "dpsexchange"' in rules
    assert re.search(r"^User=dpsexchange$", (units / "dps-exchange-code.service").read_text(), re.M)
    for name, unit, port in (("operators_ui_port", "dps-exchange-webserver.service", 3000),
                             ("analysts_ui_port", "dps-exchange-webserver-readonly.service", 3001),
                             ("code_server_port", "dps-exchange-code.service", 4266)):
        assert f"define {name} = {port}\n" in rules
        assert f"--port {port} " in (units / unit).read_text(encoding="utf-8")
    assert "define oauth2_proxy_port = 4180\n" in rules
    oauth2_proxy = (RULES.parents[1] / "oauth2-proxy" / "oauth2-proxy.cfg").read_text(encoding="utf-8")
    assert 'http_address = "127.0.0.1:4180"' in oauth2_proxy
