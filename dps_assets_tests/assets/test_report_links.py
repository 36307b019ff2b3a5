"""A report is one click from its asset: with SharePoint on, each report asset publishes its
workbook and its materialisation carries the web address as a URL entry that opens the uploaded
file (on the loopback Entra ID and Graph, over TLS with a test CA); the email that follows links
each workbook, and the delivery lists the links. Each report's description says where analysts
find its workbook, with SharePoint on or off. (With SharePoint off, no materialisation records a
`sharepoint` entry: test_readme_metadata would find it undocumented.)"""

from __future__ import annotations

import pytest
from dagster import UrlMetadataValue

from dps_assets.assets.report_kinds import REPORTS
from dps_assets.config.delivery import SharePointConfig
from dps_assets.config.schema import load_config
from dps_assets.definitions import build_definitions
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets_tests.assets.test_definitions import REPO
from dps_assets_tests.assets.test_receiving_half import Scenario
from dps_assets_tests.resources.test_sharepoint import opened
from dps_assets_tests.support.graph_server import loopback_graph


@pytest.fixture
def graph(tmp_path):
    with loopback_graph(tmp_path / "tls") as server:
        yield server


def test_each_reports_materialisation_links_its_published_workbook_and_the_email_links_them(
        receiving_resources, dagster_instance, openssh_server, smtp_mailbox, graph):
    scenario = Scenario({**receiving_resources, "sharepoint": graph.publisher()}, dagster_instance, openssh_server)
    scenario.put(*scenario.good_files())
    result = scenario.receive()
    assert result.success

    materialised = {e.asset_key.to_user_string(): e.materialization.metadata
                    for e in result.get_asset_materialization_events()}
    links = {}
    for kind in REPORTS:
        entry = materialised[kind.name]["sharepoint"]
        assert isinstance(entry, UrlMetadataValue)  # the UI shows it as a link, not a path to copy
        written = result.output_for_node(kind.name)
        assert written.web_url == entry.value and entry.value.startswith(f"{graph.base_url}/sites/")
        assert opened(entry.value, graph.ca_file) == written.path.read_bytes()  # the uploaded workbook
        assert entry.value.endswith(f"/{kind.file_stem}_FY2026_Q4.xlsx")
        links[written.path.name] = entry.value
    assert len(graph.seen("PUT")) == len(REPORTS) and graph.tokens_issued == 1  # one token for the run

    [email] = read_mailbox(smtp_mailbox[1])
    body = email.get_body(("plain",)).get_content().splitlines()
    for name, url in links.items():
        at = body.index(f"  {name}")
        assert body[at + 2] == f"    In SharePoint: {url}"
    delivered = materialised["dps_report_delivery"]["sharepoint"].value
    assert delivered.splitlines() == [f"- [{name}]({url})" for name, url in links.items()]


def descriptions(config) -> dict[str, str]:
    graph = build_definitions(config).resolve_asset_graph()
    return {key.to_user_string(): graph.get(key).description or "" for key in graph.get_all_asset_keys()}


def test_each_reports_description_says_where_analysts_find_its_workbook():
    off = load_config(REPO / "dps_config.demo.yml")
    assert off.sharepoint.enabled is False
    on = off.model_copy(update={"sharepoint": SharePointConfig(
        enabled=True, site_id="site-1", library_path="Shared Documents/DPS reports", tenant_id="tenant-1",
        client_id="client-1", client_secret_env="DPS_SHAREPOINT_SECRET")})
    archive = f"{REPO}/var/demo/archive/reports/"
    for kind in REPORTS:
        without, with_sharepoint = descriptions(off)[kind.name], descriptions(on)[kind.name]
        assert without.startswith(kind.description) and with_sharepoint.startswith(kind.description)
        assert without.endswith(f"SharePoint publishing is off: the workbook is attached to the quarter's report "
                                f"email, and kept on the pipeline server in {archive}, by quarter and run (the "
                                "`workbook` entry of the quarter's latest materialisation is its full path).")
        assert with_sharepoint.endswith("Open it from the `sharepoint` link of the quarter's latest materialisation, "
                                        "or in SharePoint in the library folder Shared Documents/DPS reports/, in "
                                        "the folder of its quarter (FY2026_Q3 for FY2026-Q3). It is also attached "
                                        "to the quarter's report email.")
    assert descriptions(on)["dps_report_delivery"] == descriptions(off)["dps_report_delivery"]  # reports only
