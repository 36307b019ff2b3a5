"""The reference "What each asset and check records" (docs/reports-and-metadata.md) names every
metadata entry a quarter's materialisations, observations and check evaluations record, each under
its asset or check, and names nothing that is not recorded, bar the entries it marks † as
recorded only in other runs. A quarter is sent and received on the embedded stack as test_typed_metadata does,
with the sending half's size check evaluated too, so every asset and check of the code location
records here."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from dagster import AssetSelection, DagsterEventType, DagsterInstance, materialize

from dps_assets.assets import report_delivery, reports, submission_records
from dps_assets.assets.sending_checks import dps_export_size_plausible
from dps_assets.config.schema import load_config
from dps_assets.definitions import build_definitions
from dps_assets_tests.assets.test_receiving_half import CHECKS, Q4, RECEIVING, SENDING, Scenario

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "docs" / "reports-and-metadata.md"
HEADING = "## What each asset and check records"
EVERY_ASSET = "every asset"
OTHER_RUNS = "†"
RECORDS = {DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.ASSET_OBSERVATION,
           DagsterEventType.ASSET_CHECK_EVALUATION}
# The entries recorded only in runs other than a quarter's first sending and receiving, and the
# module that records each: the reference marks exactly these †.
OTHER_RUNS_ONLY = {
    ("dps_submission", "rebuilt_file_identical"): submission_records,  # a re-run of a quarter already submitted
    ("dps_submission", "reconciled_from_server"): submission_records,  # a run died after its upload
    ("dps_submission", "left_on_server"): submission_records,  # a server that refuses deletes
    ("dps_report_delivery", "sharepoint"): report_delivery,  # SharePoint enabled
    **{(report, "sharepoint"): reports  # SharePoint enabled
       for report in ("impact_not_in_dps_report", "dps_not_in_impact_report", "dps_total_runaway_events_report")},
}

Entries = dict[str, set[str]]  # asset or check name -> entry names


def reference_section(document: Path) -> list[str]:
    """The reference's lines, from its heading to the next heading of its level or above."""
    lines = document.read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADING)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(("# ", "## "))), len(lines))
    return lines[start + 1:end]


def documented_entries(section: list[str], assets: set[str]) -> tuple[Entries, Entries]:
    """From the reference's tables: (entries named for each asset or check, those marked †).
    A row's first cell names its assets or checks (`every asset`, or names in backticks; empty:
    the row above's), its second cell the entries."""
    named: Entries = defaultdict(set)
    other_runs: Entries = defaultdict(set)
    owners: list[str] = []
    for line in section:
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[1] == "entry" or set(cells[1]) <= set("-: "):
            continue  # a header or the line under it
        if cells[0]:
            owners = sorted(assets) if cells[0] == EVERY_ASSET else re.findall(r"`([^`]+)`", cells[0])
        assert owners, f"reference row without an asset or check: {line}"
        entries = set(re.findall(r"`([^`]+)`", cells[1]))
        assert entries, f"reference row without an entry name: {line}"
        for owner in owners:
            (other_runs if OTHER_RUNS in cells[1] else named)[owner].update(entries)
    return named, other_runs


def recorded_entries(instance: DagsterInstance, partition_key: str) -> Entries:
    """Every metadata entry name the instance holds for the partition, by asset or check name."""
    found: Entries = defaultdict(set)
    for run in instance.get_runs():
        for log in instance.all_logs(run.run_id, of_type=RECORDS):
            event = log.dagster_event
            data = event.event_specific_data
            if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                owner, partition, metadata = data.check_name, data.partition, data.metadata
            else:
                record = (data.materialization if event.event_type == DagsterEventType.ASSET_MATERIALIZATION
                          else data.asset_observation)
                owner, partition, metadata = record.asset_key.to_user_string(), record.partition, record.metadata
            if partition == partition_key:
                found[owner].update(metadata)
    return found


def pairs(entries: Entries) -> set[tuple[str, str]]:
    return {(owner, name) for owner, names in entries.items() for name in names}


def test_the_reference_names_every_metadata_entry_a_quarter_records_and_no_other(
        receiving_resources, dagster_instance, openssh_server, smtp_mailbox):
    graph = build_definitions(load_config(REPO / "dps_config.demo.yml")).resolve_asset_graph()
    # The history across quarters is of no quarter: its own refresh records it, not a quarter's runs
    # (its entries are in docs/history-across-quarters.md, held by test_quarterly_history).
    assets = {key.to_user_string() for key in graph.get_all_asset_keys()} - {"quarterly_history"}
    checks = {key.name for key in graph.asset_check_keys}

    scenario = Scenario(receiving_resources, dagster_instance, openssh_server)
    scenario.put(*scenario.good_files())
    # The receiving run as Scenario.receive makes it, with the sending half's size check besides.
    received = materialize([*SENDING, *RECEIVING, *CHECKS, dps_export_size_plausible],
                           partition_key=Q4.partition_key, resources=receiving_resources,
                           instance=dagster_instance,
                           selection=(AssetSelection.assets(*RECEIVING)
                                      | AssetSelection.checks(dps_export_size_plausible)))
    assert received.success
    recorded = recorded_entries(dagster_instance, Q4.partition_key)
    assert set(recorded) == assets | checks  # every asset and check of the code location recorded

    named, other_runs = documented_entries(reference_section(REFERENCE), assets)
    assert set(named) | set(other_runs) <= assets | checks
    undocumented = pairs(recorded) - pairs(named) - pairs(other_runs)
    assert undocumented == set(), "add these (asset or check, entry) to the reference in docs/reports-and-metadata.md"
    not_recorded = pairs(named) - pairs(recorded)
    assert not_recorded == set(), "the reference names these, but nothing records them: remove them, or mark † " \
                                  "and add them to OTHER_RUNS_ONLY with the case that records them"
    # † marks exactly the entries only other runs record, and each is still recorded somewhere.
    assert pairs(other_runs) & pairs(recorded) == set()
    assert pairs(other_runs) == set(OTHER_RUNS_ONLY)
    for (owner, name), module in OTHER_RUNS_ONLY.items():
        assert f'"{name}"' in Path(module.__file__).read_text(encoding="utf-8"), (owner, name)


def test_a_row_names_its_entries_for_its_assets_or_those_of_the_row_above():
    section = [
        "| asset | entry | what it is |",
        "|---|---|---|",
        "| every asset | `fiscal_quarter` | the label, `FYyyyy-Qn` (text) |",
        "| `dps_results`, `dps_counts` | `file` | a path |",
        "| | `sha256`, `bytes` | the file's `sha256` |",
        "| `dps_submission` | `rebuilt_file_identical` † | on a re-run |",
        "prose naming `not_an_entry`",
    ]
    named, other_runs = documented_entries(section, {"dps_results", "dps_counts", "dps_submission"})
    assert named == {"dps_counts": {"fiscal_quarter", "file", "sha256", "bytes"},
                     "dps_results": {"fiscal_quarter", "file", "sha256", "bytes"},
                     "dps_submission": {"fiscal_quarter"}}
    assert other_runs == {"dps_submission": {"rebuilt_file_identical"}}
