"""Where each delivered quarter's figures are counted from, for the history across quarters.

A quarter's reports are those its latest delivery (`dps_report_delivery`) attached, read back from
the archive; IMPACT's runaway events are what `sa_98` recorded for the run that delivery came
from; the children sent are the `Rows sent` of the archived end_export.xlsx whose text file is the
one the reports name as submitted. A quarter the instance has no record of at all (delivered
before it recorded deliveries, or before this instance) is filled from the newest archived set of
its three reports. A quarter whose reports the instance knows but never delivered is left out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dagster import DagsterInstance

from dps_assets.assets.report_registry import ReportKind
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.history.archived_reports import read_about, read_sheet
from dps_assets.core.history.figures import ImpactEvents, QuarterReports
from dps_assets.core.history.store import FROM_ARCHIVE, FROM_DELIVERY
from dps_assets.instance.ledger import latest_deliveries, metadata_before, was_materialized
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.local_files import TO_DPS, LocalFilesResource

REPORTS_HALF = "reports"  # archive/reports/<quarter>/<run>/, where the report assets archive their workbooks
# The reports the figures are counted from, by asset name: the totals by region, then the two lists.
TOTALS = "dps_total_runaway_events_report"
IMPACT_NOT_IN_DPS = "impact_not_in_dps_report"
DPS_NOT_IN_IMPACT = "dps_not_in_impact_report"
HISTORY_REPORTS = (TOTALS, IMPACT_NOT_IN_DPS, DPS_NOT_IN_IMPACT)
LIST_COLUMNS = ["REGION", "FISCAL_QUARTER"]


@dataclass(frozen=True)
class DeliveredQuarter:
    quarter: FiscalQuarter
    workbooks: dict[str, Path]  # report asset name -> its archived workbook
    filled_from: str
    delivered_at: str | None
    impact_events: ImpactEvents | None

    def source(self, archive_root: Path) -> str:
        """The reports' folder, relative to the archive root where it is under it."""
        folder = self.workbooks[TOTALS].parent
        return str(folder.relative_to(archive_root) if folder.is_relative_to(archive_root) else folder)

    @property
    def archived(self) -> bool:
        return all(path.is_file() for path in self.workbooks.values())


def _file_name(kind: ReportKind, quarter: FiscalQuarter) -> str:
    return f"{kind.file_stem}_{quarter.tag}.xlsx"


def _counted(metadata: Mapping[str, object], name: str) -> int | None:
    value = metadata.get(name)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def delivered_quarters(instance: DagsterInstance, local_files: LocalFilesResource,
                       kinds: Mapping[str, ReportKind]) -> list[DeliveredQuarter]:
    """Every delivered quarter the ledger or the archive knows, oldest first."""
    found: dict[FiscalQuarter, DeliveredQuarter] = {}
    for quarter, delivery in latest_deliveries(instance).items():
        attached = {Path(str(p)).name: Path(str(p)) for p in delivery.metadata.get("workbooks") or []}
        names = {name: _file_name(kinds[name], quarter) for name in HISTORY_REPORTS}
        if any(file_name not in attached for file_name in names.values()):
            continue  # not a delivery of these reports (none is known to have happened)
        workbooks = {name: attached[file_name] for name, file_name in names.items()}
        sa_98 = metadata_before(instance, "sa_98", quarter.partition_key, delivery.storage_id)
        events = ImpactEvents(_counted(sa_98, "events_in_window"), _counted(sa_98, "events_in_quarter"))
        delivered_at = datetime.fromtimestamp(delivery.timestamp, UTC).isoformat(timespec="seconds")
        found[quarter] = DeliveredQuarter(quarter, workbooks, FROM_DELIVERY, delivered_at, events)
    reports_root = Path(local_files.archive_root, REPORTS_HALF)
    for folder in sorted(reports_root.iterdir()) if reports_root.is_dir() else []:
        try:
            quarter = FiscalQuarter.from_label(folder.name)
        except ValueError:
            continue
        if quarter in found or was_materialized(instance, TOTALS, quarter.partition_key):
            continue
        for run in reversed(local_files.archived_runs(REPORTS_HALF, folder.name)):
            workbooks = {name: run / _file_name(kinds[name], quarter) for name in HISTORY_REPORTS}
            if all(path.is_file() for path in workbooks.values()):
                found[quarter] = DeliveredQuarter(quarter, workbooks, FROM_ARCHIVE, None, None)
                break
    return [found[q] for q in sorted(found)]


def read_reports(delivered: DeliveredQuarter, kinds: Mapping[str, ReportKind], local_files: LocalFilesResource,
                 rules: ExchangeRulesResource) -> QuarterReports:
    """The delivered quarter's reports read back, and its children sent (ArchivedReportError if a
    workbook is not the report it should be)."""
    books = delivered.workbooks
    return QuarterReports(
        quarter=delivered.quarter,
        totals=read_sheet(books[TOTALS], kinds[TOTALS].sheet),
        impact_not_in_dps=read_sheet(books[IMPACT_NOT_IN_DPS], kinds[IMPACT_NOT_IN_DPS].sheet, LIST_COLUMNS),
        dps_not_in_impact=read_sheet(books[DPS_NOT_IN_IMPACT], kinds[DPS_NOT_IN_IMPACT].sheet, LIST_COLUMNS),
        impact_events=delivered.impact_events,
        children_sent=children_sent(delivered, local_files, rules),
    )


def children_sent(delivered: DeliveredQuarter, local_files: LocalFilesResource,
                  rules: ExchangeRulesResource) -> int | None:
    """`Rows sent` of the quarter's archived export whose text file is the one DPS answered (its
    SHA-256, as the reports' About sheet names it); None when no archived export is that one."""
    submitted = read_about(delivered.workbooks[TOTALS]).get(f"{rules.text_file_name} SHA-256 (submitted)")
    if not submitted:
        return None
    for run in reversed(local_files.archived_runs(TO_DPS, delivered.quarter.tag)):
        export = run / rules.workbook_file_name
        if export.is_file():
            about = read_about(export)
            rows = about.get("Rows sent")
            if about.get("Text file SHA-256") == submitted and isinstance(rows, (int, float)):
                return int(rows)
    return None
