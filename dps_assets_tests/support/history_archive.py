"""Delivered quarters for the history tests, made as the pipeline makes them: each quarter's three
report workbooks written by the report registry's sheets and the workbook writer into
archive/reports/<quarter>/<run>/, its end_export.xlsx into archive/to_dps/, and (when asked) the
ledger's records of the quarter: sa_98's materialisation, then the delivery's, naming the
workbooks. The reports are made by the project's own report functions from synthetic inputs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from dagster import AssetMaterialization, DagsterInstance, MetadataValue

from dps_assets.assets.report_kinds import REPORTS
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.reconciliation.reports import is_region_totals
from dps_assets.core.workbooks.writer import About, Sheet, write_workbook
from dps_assets.resources.local_files import LocalFilesResource, run_stamp
from dps_assets_tests.support.synthetic_reports import report_inputs

TEXT_FILE, EXPORT_WORKBOOK = "End_txt_file.txt", "end_export.xlsx"  # the demo configuration's names


@dataclass(frozen=True)
class DeliveredQuarter:
    """What a test knows of a quarter it delivered: its report frames and inputs' counts."""

    quarter: FiscalQuarter
    frames: dict[str, pd.DataFrame]  # report asset name -> its frame
    folder: Path  # the reports' archive folder
    events_in_window: int
    events_in_quarter: int
    children_sent: int


def deliver_quarter(files: LocalFilesResource, quarter: FiscalQuarter, seed: int, when: str,
                    instance: DagsterInstance | None = None, events: int = 60, entries: int = 30,
                    children: int = 400) -> DeliveredQuarter:
    """Archive `quarter`'s reports and export as a run started at `when` (`20260605T031500Z`)
    would; with `instance`, record its sa_98 and its delivery in the ledger too."""
    made = report_inputs(events, entries, seed=seed, quarter=quarter)
    inputs = {"quarter": quarter, "sa_98": made.sa_98, "runaway_event_matches": made.matches,
              "county_region_lookup": made.lookup}
    run_id = hashlib.sha256(f"{quarter}{seed}{when}".encode()).hexdigest()
    stamp = run_stamp(run_id, pd.Timestamp(when).to_pydatetime())
    sha = hashlib.sha256(f"text of {quarter} {seed}".encode()).hexdigest()
    frames, paths = {}, []
    for kind in REPORTS:
        frame = kind.frame(**{name: inputs[name] for name in ("quarter", *kind.inputs)})
        sheet = Sheet(kind.sheet, frame, chart=kind.chart(frame, quarter) if kind.chart else None,
                      totals_rows=1 if is_region_totals(frame) else None)
        about = About((("Partition", quarter.label), (f"{TEXT_FILE} SHA-256 (submitted)", sha)))
        paths.append(files.archive_report(quarter.tag, stamp, f"{kind.file_stem}_{quarter.tag}.xlsx",
                                          lambda path, s=sheet, a=about: write_workbook(path, [s], a)))
        frames[kind.name] = frame
    _archive_export(files, quarter, stamp, sha, children)
    runaway = made.sa_98["RUNAWAY_DATE"]
    in_window = int(runaway.between(pd.Timestamp(quarter.window_start), pd.Timestamp(quarter.window_end)).sum())
    in_quarter = int(runaway.between(pd.Timestamp(quarter.start), pd.Timestamp(quarter.end)).sum())
    if instance is not None:
        record_delivery(instance, quarter, paths, in_window, in_quarter)
    return DeliveredQuarter(quarter, frames, paths[0].parent, in_window, in_quarter, children)


def _archive_export(files: LocalFilesResource, quarter: FiscalQuarter, stamp: str, sha: str, children: int) -> None:
    """end_export.xlsx as the sending half archives it (its About sheet; the rows do not matter here),
    beside an older export of the quarter that DPS did not answer."""
    for folder_stamp, text_sha, rows in ((f"{stamp[:8]}T000000Z_00000000", "0" * 64, children + 99),
                                         (stamp, sha, children)):
        folder = Path(files.archive_root, "to_dps", quarter.tag, folder_stamp)
        folder.mkdir(parents=True, exist_ok=True)
        about = About((("Partition", quarter.label), ("Rows sent", rows), ("Text file SHA-256", text_sha)))
        write_workbook(folder / EXPORT_WORKBOOK, [Sheet("Export", pd.DataFrame({"PERSON_ID": []}))], about)


def record_delivery(instance: DagsterInstance, quarter: FiscalQuarter, workbooks: list[Path], in_window: int,
                    in_quarter: int) -> None:
    """The ledger's record of a delivery: sa_98's materialisation, then the delivery's."""
    instance.report_runless_asset_event(AssetMaterialization(
        "sa_98", partition=quarter.partition_key,
        metadata={"events_in_window": in_window, "events_in_quarter": in_quarter}))
    instance.report_runless_asset_event(AssetMaterialization(
        "dps_report_delivery", partition=quarter.partition_key,
        metadata={"fiscal_quarter": quarter.label, "workbooks": MetadataValue.json([str(p) for p in workbooks])}))
