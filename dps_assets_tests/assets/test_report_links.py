"""A report is one click from its asset: with SharePoint on, each report asset publishes its
workbook and its materialisation carries the web address as a URL entry that opens the uploaded
file (on the loopback Entra ID and Graph, over TLS with a test CA); the email that follows links
each workbook, and the delivery lists the links. (With SharePoint off, no materialisation records a
`sharepoint` entry: test_readme_metadata would find it undocumented.)"""

from __future__ import annotations

import pytest
from dagster import UrlMetadataValue

from dps_assets.assets.report_kinds import REPORTS
from dps_assets.embedded.smtp_server import read_mailbox
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
