"""Re-executing a finished run the sensor started: DPS's files were moved aside after delivery,
so the re-execution reads the copies archived since, instead of failing on the empty folder."""

from dagster import AssetKey

from dps_assets.assets.dps_fetch import file_tag
from dps_assets.embedded.smtp_server import read_mailbox
from dps_assets_tests.assets.test_receiving_half import Scenario


def test_re_executing_a_finished_sensor_run_reads_the_archive(receiving_resources, dagster_instance,
                                                              openssh_server, smtp_mailbox):
    scenario = Scenario(receiving_resources, dagster_instance, openssh_server)
    scenario.put(*scenario.good_files())
    seen = {file_tag(p.name): f"{p.stat().st_size}:{int(p.stat().st_mtime)}"
            for p in openssh_server.to_dfps_folder.glob("Dfps-*.txt")}
    assert scenario.receive(tags=seen).success
    assert not list(openssh_server.to_dfps_folder.glob("Dfps-*.txt"))

    again = scenario.receive(tags=seen)  # what "Re-execute" on the run's page does
    assert again.success
    sources = {e.asset_key: e.materialization.metadata["source"].value
               for e in again.get_asset_materialization_events()
               if e.asset_key in (AssetKey("dps_results"), AssetKey("dps_counts"))}
    assert sources == {AssetKey("dps_results"): "archive", AssetKey("dps_counts"): "archive"}
    assert len(read_mailbox(smtp_mailbox[1])) == 1
