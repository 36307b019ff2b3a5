"""The history after a real delivery: the receiving half of FY2026-Q4 run on the embedded stack
(OpenSSH, the DuckDB warehouse, the SMTP server), then the history asset on the same instance.
Its figures are those of the reports the run wrote and the numbers the run recorded, and
nothing in what it writes holds a child's name or date of birth."""

from __future__ import annotations

import csv
from pathlib import Path

from dagster import materialize
from openpyxl import load_workbook

from dps_assets.assets.history import CSV_NAME, WORKBOOK_NAME, quarterly_history
from dps_assets.instance.ledger import latest_metadata
from dps_assets_tests.assets.test_receiving_half import Q4, Scenario, sheet_rows
from dps_assets_tests.support.privacy import leaks, synthetic_identities


def test_the_history_counts_what_a_real_delivery_delivered(receiving_resources, dagster_instance, openssh_server,
                                                             tmp_path, embedded_data):
    scenario = Scenario(receiving_resources, dagster_instance, openssh_server)
    scenario.put(*scenario.good_files())
    assert scenario.receive().success
    result = materialize([quarterly_history], resources=receiving_resources, instance=dagster_instance)
    metadata = {k: v.value for k, v in result.asset_materializations_for_node("quarterly_history")[0].metadata.items()}
    assert metadata["quarters_covered"] == ["FY2026-Q4"] and metadata["quarters_unreadable"] == []

    folder = next((tmp_path / "archive" / "reports" / Q4.tag).iterdir())
    totals = sheet_rows(folder / f"DPS_total_runaway_events_{Q4.tag}.xlsx", "Totals")
    statewide_totals = next(row for row in totals if row[0] == "STATEWIDE")
    impact = sheet_rows(folder / f"IMPACT_not_in_DPS_{Q4.tag}.xlsx", "IMPACT not in DPS")[1:]
    _, sa_98 = latest_metadata(dagster_instance, "sa_98", Q4.partition_key)
    _, matching = latest_metadata(dagster_instance, "runaway_event_matches", Q4.partition_key)

    with open(tmp_path / "archive" / "history" / CSV_NAME, newline="", encoding="ascii") as handle:
        figures = {(r["MEASURE"], r["PERIOD"]): int(r["VALUE"]) for r in csv.DictReader(handle)
                   if r["REGION"] == "STATEWIDE"}
    assert figures[("DPS_RUNAWAY_EVENTS", "QUARTER")] == statewide_totals[totals[0].index(Q4.label)]
    assert figures[("DPS_RUNAWAY_EVENTS", "FISCAL_YEAR_TO_DATE")] == statewide_totals[-1] == 5
    assert figures[("IMPACT_EVENTS_NOT_IN_DPS", "FISCAL_YEAR_TO_DATE")] == len(impact)
    assert figures[("IMPACT_RUNAWAY_EVENTS", "FISCAL_YEAR_TO_DATE")] == sa_98["events_in_window"]
    assert figures[("IMPACT_RUNAWAY_EVENTS", "QUARTER")] == sa_98["events_in_quarter"]
    assert figures[("IMPACT_EVENTS_REPORTED_TO_DPS", "FISCAL_YEAR_TO_DATE")] == matching["events_reported_to_dps"] == 3
    assert figures[("CHILDREN_SENT", "FISCAL_YEAR_TO_DATE")] == len(scenario.export)
    assert metadata["latest_children_sent"] == len(scenario.export)

    # Counts only: no child's name or date of birth in the history's files or its metadata.
    names, dobs = synthetic_identities(embedded_data / "caps.duckdb", embedded_data / "tcic.duckdb")
    history = tmp_path / "archive" / "history"
    texts = [(str(p), p.read_text(errors="replace")) for p in history.iterdir() if p.suffix != ".xlsx"]
    workbook = load_workbook(history / WORKBOOK_NAME, read_only=True)
    texts += [(f"{WORKBOOK_NAME}!{ws.title}", " ".join(str(v) for row in ws.iter_rows(values_only=True) for v in row))
              for ws in workbook.worksheets]
    texts += [(f"metadata.{k}", str(v)) for k, v in metadata.items()]
    assert leaks(texts, names, dobs) == []
    assert Path(metadata["workbook"]) == history / WORKBOOK_NAME
