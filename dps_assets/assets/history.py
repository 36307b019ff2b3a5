"""The history across quarters: one asset, of no quarter, downstream of every quarter's delivery.

Each materialisation counts the figures of every delivered quarter whose reports it has not
counted yet (a quarter delivered again is counted again, from its new reports), merges them into
the history kept in archive/history/ (by quarter: replaced, never added twice; a quarter whose
reports have since been deleted by the retention keeps its figures), and writes the workbook and
the CSV for Power BI there. Counts only: no row about a child is read into it or written.

No `from __future__ import annotations` here: Dagster reads the context's type from the signature."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dagster import AllPartitionMapping, AssetDep, AssetExecutionContext, MaterializeResult, MetadataValue, asset

from dps_assets.assets.common import OWNERS, Metadata, markdown_table, path_metadata
from dps_assets.assets.history_sources import DeliveredQuarter, delivered_quarters, read_reports
from dps_assets.assets.report_kinds import REPORTS
from dps_assets.assets.run_log import failures_logged
from dps_assets.core.exchange.quarters import AGENCY_TIMEZONE, FiscalQuarter
from dps_assets.core.history.archived_reports import ArchivedReportError
from dps_assets.core.history.figures import (
    CHILDREN_SENT,
    DPS_NOT_IN_IMPACT,
    DPS_RUNAWAY_EVENTS,
    FISCAL_YEAR_TO_DATE,
    IMPACT_EVENTS,
    IMPACT_NOT_IN_DPS,
    QUARTER,
    FiguresError,
    quarter_figures,
    statewide,
)
from dps_assets.core.history.outputs import history_csv, share_percent, statewide_sheet, write_history_workbook
from dps_assets.core.history.store import History, QuarterRecord, history_json, is_current, merge, parse_history
from dps_assets.core.privacy.private_files import private_folder, write_private
from dps_assets.instance.critical_section import exclusive
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.local_files import FROM_DPS, LocalFilesResource

HISTORY_GROUP = "history"
HISTORY_FOLDER = "history"  # under the archive root; the retention removes run folders only
STORE_NAME = "quarterly_figures.json"
WORKBOOK_NAME = "DPS_exchange_history.xlsx"
CSV_NAME = "DPS_exchange_history.csv"
# One materialisation at a time reads, merges and writes the history (two at once would each
# write what they read, and the later one could drop the other's quarter).
HISTORY_LOCK = "quarterly_history"
KINDS = {kind.name: kind for kind in REPORTS}


@asset(
    name="quarterly_history",
    group_name=HISTORY_GROUP,
    owners=OWNERS,
    kinds={"excel", "csv"},
    deps=[AssetDep("dps_report_delivery", partition_mapping=AllPartitionMapping())],
    description="How each delivered quarter compares with the one before and the same quarter a "
    "year earlier: DPS runaway events by region, IMPACT runaway events not in DPS, DPS entries not "
    f"in IMPACT, the share of IMPACT's runaway events DPS has, and the children sent. {WORKBOOK_NAME} "
    f"(a sheet per measure, fiscal year over fiscal year, a chart of the statewide figures) and "
    f"{CSV_NAME} for Power BI (counts only), in the archive's history folder; refreshed after each "
    "delivery, a quarter delivered again replacing its own figures.",
)
@failures_logged(FROM_DPS)
def quarterly_history(context: AssetExecutionContext, exchange_rules: ExchangeRulesResource,
                      local_files: LocalFilesResource) -> MaterializeResult:
    archive = Path(local_files.archive_root)
    folder = private_folder(archive / HISTORY_FOLDER)
    store = folder / STORE_NAME
    with exclusive(context.instance, HISTORY_LOCK, on_wait=context.log.info):
        stored: History = parse_history(store.read_bytes(), str(store)) if store.is_file() else {}
        counted: list[QuarterRecord] = []
        kept: list[FiscalQuarter] = []
        unreadable: list[FiscalQuarter] = []
        for delivered in delivered_quarters(context.instance, local_files, KINDS):
            source = delivered.source(archive)
            if is_current(stored.get(delivered.quarter), source):
                kept.append(delivered.quarter)
                continue
            record = _record(context, delivered, source, local_files, exchange_rules)
            if record is None:
                unreadable.append(delivered.quarter)
            else:
                counted.append(record)
        history = merge(stored, counted)
        if not history:
            context.log.info("no quarter has been delivered yet: the history is empty, nothing written")
            return MaterializeResult(metadata={"quarters": 0})
        write_private(store, history_json(history))
        created_at = datetime.now(ZoneInfo(AGENCY_TIMEZONE))
        write_history_workbook(folder / WORKBOOK_NAME, history, created_at, CSV_NAME)
        csv = write_private(folder / CSV_NAME, history_csv(history))
    replaced = [r.quarter.label for r in counted if r.quarter in stored]
    context.log.info(f"history: {len(history)} quarter(s) {min(history).label} to {max(history).label}; "
                     f"counted {len(counted)} ({len(replaced)} replacing earlier figures), "
                     f"{len(kept)} unchanged; wrote {folder / WORKBOOK_NAME} and {csv}")
    return MaterializeResult(metadata=_metadata(history, folder, counted, replaced, unreadable))


def _record(context: AssetExecutionContext, delivered: DeliveredQuarter, source: str,
            local_files: LocalFilesResource, rules: ExchangeRulesResource) -> QuarterRecord | None:
    """The quarter's figures from its reports; None (with a warning) when they cannot be read:
    the history keeps what it had for the quarter."""
    label = delivered.quarter.label
    if not delivered.archived:
        context.log.warning(f"{label}: its delivered reports are no longer in {source}; its figures "
                            "stay as the history last recorded them")
        return None
    try:
        reports = read_reports(delivered, KINDS, local_files, rules)
        figures = quarter_figures(reports)
    except (ArchivedReportError, FiguresError) as exc:
        context.log.warning(f"{label}: its reports in {source} cannot be counted ({exc}); its figures "
                            "stay as the history last recorded them")
        return None
    return QuarterRecord(delivered.quarter, source, delivered.filled_from, delivered.delivered_at, tuple(figures))


def _metadata(history: History, folder: Path, counted: list[QuarterRecord], replaced: list[str],
              unreadable: list[FiscalQuarter]) -> Metadata:
    """Counts of the latest quarter, the quarters covered, the Statewide sheet as Markdown."""
    latest = history[max(history)]
    figures = latest.figures
    frame = statewide_sheet(history).frame
    table = frame.where(frame.notna(), "")
    metadata: Metadata = {
        "quarters": len(history),
        "first_quarter": min(history).label,
        "latest_quarter": latest.quarter.label,
        "quarters_covered": MetadataValue.json([q.label for q in history]),
        "quarters_counted": MetadataValue.json([r.quarter.label for r in counted]),
        "quarters_replaced": MetadataValue.json(replaced),
        "quarters_unreadable": MetadataValue.json([q.label for q in unreadable]),
        "workbook": path_metadata(folder / WORKBOOK_NAME),
        "power_bi_csv": path_metadata(folder / CSV_NAME),
        "statewide": MetadataValue.md(markdown_table(table)),
    }
    for name, measure, period in (("latest_dps_runaway_events", DPS_RUNAWAY_EVENTS, QUARTER),
                                  ("latest_impact_events_not_in_dps", IMPACT_NOT_IN_DPS, QUARTER),
                                  ("latest_dps_entries_not_in_impact", DPS_NOT_IN_IMPACT, QUARTER),
                                  ("latest_impact_runaway_events", IMPACT_EVENTS, QUARTER),
                                  ("latest_children_sent", CHILDREN_SENT, FISCAL_YEAR_TO_DATE)):
        value = statewide(figures, measure, period)
        if value is not None:
            metadata[name] = value
    share = share_percent(latest, QUARTER)
    if share is not None:
        metadata["latest_share_of_impact_events_dps_has_pct"] = share
    return metadata
