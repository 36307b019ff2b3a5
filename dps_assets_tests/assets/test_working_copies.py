"""A delivered quarter leaves no personal data outside the archive: its work folders and
Dagster's stored frames of names and dates of birth are removed once the reports are delivered,
and the quarter can still be received again from the archive."""

from __future__ import annotations

from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets_tests.assets.test_receiving_half import Scenario
from dps_assets_tests.support.privacy import files_holding, files_under, synthetic_identities


def test_a_delivered_quarter_leaves_no_childs_record_outside_the_archive(receiving_resources, dagster_instance,
                                                                        openssh_server, smtp_mailbox, tmp_path,
                                                                        embedded_data):
    scenario = Scenario(receiving_resources, dagster_instance, openssh_server)
    work = tmp_path / "work"
    names, _ = synthetic_identities(embedded_data / "caps.duckdb")
    assert files_holding(sorted(names)[:200], files_under(work))  # the sending half left working copies

    scenario.put(*scenario.good_files())
    result = scenario.receive()
    assert result.success
    [event] = [e for e in result.get_asset_materialization_events()
               if e.asset_key.to_user_string() == "dps_report_delivery"]
    assert event.materialization.metadata["working_copies_removed"].value >= 5
    # The county lookup is not personal (ANDERSON is a county as well as a surname).
    kept = [p for p in files_under(work) if "county_region_lookup" not in p.parts]
    assert files_holding(sorted(names), kept) == []
    assert not list((work / "to_dps").glob("*")) and not list((work / "from_dps").glob("*"))

    # Nothing is lost: a re-run rebuilds what it needs from the archive and does not email again.
    again = scenario.receive()
    assert again.success
    assert len(read_mailbox(smtp_mailbox[1])) == 1
    checks = {e.asset_check_key.name: e.passed for e in again.get_asset_check_evaluations()}
    assert checks["dps_person_ids_were_submitted"] is True
