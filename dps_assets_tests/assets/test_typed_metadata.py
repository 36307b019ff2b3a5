"""What an analyst reads on a quarter's materialisations and checks is typed for reading: times
are timestamps, the region totals small Markdown tables (counts only), check results numbers the
UI can plot across quarters, and a report's only path is its workbook's (no pickle path beside
it). Materialised on the embedded stack, as the receiving-half tests do."""

from __future__ import annotations

import stat

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    FloatMetadataValue,
    IntMetadataValue,
    MarkdownMetadataValue,
    PathMetadataValue,
    TimestampMetadataValue,
    materialize,
)

from dps_assets.assets import receiving
from dps_assets_tests.assets.test_receiving_half import Q4, RECEIVING, SENDING, Scenario
from dps_assets_tests.support.privacy import leaks, synthetic_identities

REPORTS = ("impact_not_in_dps_report", "dps_not_in_impact_report", "dps_total_runaway_events_report")


def latest(instance, key: str):
    [record] = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(key), asset_partitions=[Q4.partition_key]), limit=1).records
    return record.asset_materialization.metadata


def test_materialisations_and_checks_carry_typed_metadata(receiving_resources, dagster_instance, openssh_server,
                                                          smtp_mailbox, tmp_path, embedded_data):
    scenario = Scenario(receiving_resources, dagster_instance, openssh_server)
    scenario.put(*scenario.good_files())
    result = scenario.receive()
    assert result.success
    keys = [key.to_user_string() for a in SENDING + RECEIVING for key in a.keys]
    metadata = {key: latest(dagster_instance, key) for key in keys}

    # No `path` entry from the IO manager anywhere; a report's one path is its workbook.
    assert [k for k, m in metadata.items() if "path" in m] == []
    for report in REPORTS:
        paths = {k: v.value for k, v in metadata[report].items() if isinstance(v, PathMetadataValue)}
        assert list(paths) == ["workbook"] and paths["workbook"].endswith(f"_{Q4.tag}.xlsx")

    # Times are timestamps, and no number anywhere is an epoch in disguise.
    assert isinstance(metadata["dps_submission"]["submitted_at"], TimestampMetadataValue)
    assert isinstance(metadata["dps_report_delivery"]["emailed_at"], TimestampMetadataValue)
    assert isinstance(metadata["dps_results"]["remote_mtime"], TimestampMetadataValue)
    checks = {e.check_name: e.metadata for e in result.get_asset_check_evaluations()}
    numbers = [(where, k, v.value) for where, m in [*metadata.items(), *checks.items()] for k, v in m.items()
               if isinstance(v, (IntMetadataValue, FloatMetadataValue))]
    assert [n for n in numbers if n[2] is not None and n[2] > 1e9] == []

    # The region totals as Markdown tables of counts, regions in natural order.
    totals = metadata["dps_total_runaway_events_report"]["region_totals"]
    assert isinstance(totals, MarkdownMetadataValue)
    lines = totals.value.splitlines()
    assert lines[0] == "| REGION | FY2026-Q1 | FY2026-Q2 | FY2026-Q3 | FY2026-Q4 | FYTD_TOTAL |"
    assert [line.split(" | ")[0].lstrip("| ") for line in lines[2:]] == [
        *map(str, range(1, 12)), "UNKNOWN", "STATEWIDE"]
    assert lines[-1].endswith(" | 5 |")  # the statewide fiscal-year-to-date total
    by_region = metadata["dps_not_in_impact_report"]["rows_by_region"]
    assert isinstance(by_region, MarkdownMetadataValue)
    assert by_region.value.splitlines()[2:] == ["| 6 | 1 |", "| UNKNOWN | 1 |"]
    counties = metadata["county_region_lookup"]["counties_by_region"]
    assert isinstance(counties, MarkdownMetadataValue) and counties.value.splitlines()[2].startswith("| 1 | ")

    # Check results are numbers, one per measure.
    reconcile = checks["dps_counts_reconcile"]
    for measure in ("records_received", "persons_matched", "missing_person_entries"):
        assert isinstance(reconcile[f"{measure}_expected"], IntMetadataValue)
        assert reconcile[f"{measure}_expected"].value == reconcile[f"{measure}_reported_by_dps"].value
    assert reconcile["records_received_expected"].value == len(scenario.export)
    assert reconcile["measures_disagreeing"].value == 0
    assert checks["counties_have_regions"]["counties_without_region"].value == 1  # Caddo Parish
    assert isinstance(checks["dps_entries_in_window"]["in_window"], IntMetadataValue)
    assert isinstance(checks["dps_person_ids_were_submitted"]["unknown_count"], IntMetadataValue)

    # Counts only: nothing personal in any of it.
    names, dobs = synthetic_identities(embedded_data / "caps.duckdb", embedded_data / "tcic.duckdb")
    texts = [(f"{k}.{n}", str(v.value)) for k, m in [*metadata.items(), *checks.items()] for n, v in m.items()]
    assert leaks(texts, names, dobs) == []


def test_stored_outputs_are_private_files_in_private_folders(pipeline_resources, dagster_instance, tmp_path):
    assert materialize([receiving.county_region_lookup], partition_key=Q4.partition_key,
                       resources=pipeline_resources, instance=dagster_instance).success
    storage = tmp_path / "work" / "dagster-storage"
    stored = storage / "county_region_lookup" / Q4.partition_key
    assert stored.is_file()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    for folder in (storage, stored.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
