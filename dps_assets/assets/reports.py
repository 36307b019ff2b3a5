"""Matching DPS's entries to IMPACT's runaway events, and the three quarterly workbooks."""

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, MetadataValue, Output, asset

from dps_assets.assets.common import OWNERS, path_metadata, quarter_metadata
from dps_assets.instance.ledger import latest_metadata
from dps_assets.core.matching import MatchResult, match_entries
from dps_assets.core.regions import UNKNOWN_REGION
from dps_assets.core.reports import (
    FYTD_TOTAL,
    dps_not_in_impact,
    dps_total_runaway_events,
    impact_not_in_dps,
)
from dps_assets.core.workbooks import About, BarChartSpec, Sheet, write_workbook
from dps_assets.assets.partitions import fiscal_quarter_partitions, quarter_of
from dps_assets.core.quarters import FiscalQuarter
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.local_files import FROM_DPS, LocalFilesResource
from dps_assets.assets.run_log import RunLog, failures_logged, this_run_stamp

GROUP = "reports"


@asset(
    description="Each in-window DPS entry assigned to at most one IMPACT runaway event of the "
    "same child (spec §6): nearest runaway date within the episode ± the tolerance.",
    partitions_def=fiscal_quarter_partitions,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"pandas"},
    # dps_counts is an input of the matching only through its blocking reconciliation check:
    # when DPS's counts disagree with its files, nothing from here on runs.
    deps=["dps_counts"],
)
@failures_logged(FROM_DPS)
def runaway_event_matches(context: AssetExecutionContext, dps_results: pd.DataFrame, sa_98: pd.DataFrame,
                          exchange_rules: ExchangeRulesResource,
                          local_files: LocalFilesResource) -> Output[MatchResult]:
    quarter = quarter_of(context)
    tolerance = exchange_rules.match_tolerance_days
    match = match_entries(dps_results, sa_98, quarter.window_start, quarter.window_end, tolerance)
    summary = {
        "entries_in_window": len(match.entries_in_window),
        "entries_outside_window": len(match.entries_outside_window),
        "entries_assigned": len(match.assignments),
        "entries_unassigned": len(match.unassigned_entries),
        "events_reported_to_dps": len(match.reported_event_ids),
    }
    RunLog(context, local_files, FROM_DPS, quarter).info(f"{quarter.label}: matching with tolerance "
                                                     f"{tolerance} day(s): {summary}")
    return Output(match, metadata={**quarter_metadata(quarter), **summary, "match_tolerance_days": tolerance})


def _about(context: AssetExecutionContext, quarter: FiscalQuarter, rules: ExchangeRulesResource,
           rows: dict[str, int]) -> About:
    """Where the numbers came from: the files' checksums and the matching parameters."""
    key = context.partition_key
    _, results = latest_metadata(context.instance, "dps_results", key)
    _, counts = latest_metadata(context.instance, "dps_counts", key)
    _, submission = latest_metadata(context.instance, "dps_submission", key)
    return About((
        ("Partition", quarter.label),
        ("Window start", quarter.window_start),
        ("Window end", quarter.window_end),
        (f"{rules.results_file_name} SHA-256", results.get("sha256", "")),
        (f"{rules.counts_file_name} SHA-256", counts.get("sha256", "")),
        (f"{rules.text_file_name} SHA-256 (submitted)", submission.get("sha256", "")),
        *((f"Rows: {name}", count) for name, count in rows.items()),
        ("Match tolerance (days)", rules.match_tolerance_days),
        ("Matching rule", "same person; RUNAWAY_DATE - T <= MISSING_DATE <= (RETURN_DATE or window end) + T; "
                          "nearest RUNAWAY_DATE, then earlier, then smaller RUNAWAY_EVENT_ID"),
        ("Dagster run", context.run_id),
        ("Created at (UTC)", datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)),
    ))


def _write(context: AssetExecutionContext, quarter: FiscalQuarter, local_files: LocalFilesResource,
           file_stem: str, sheet: Sheet, about: About,
           extra_metadata: dict[str, object] | None = None) -> Output[Path]:
    folder = local_files.report_folder(quarter.tag, this_run_stamp(context))
    path = folder / f"{file_stem}_{quarter.tag}.xlsx"
    write_workbook(path, [sheet], about)
    RunLog(context, local_files, FROM_DPS, quarter).info(f"{quarter.label}: wrote {path} ({len(sheet.frame)} row(s))")
    return Output(path, metadata={
        **quarter_metadata(quarter),
        "workbook": path_metadata(path),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "dagster/row_count": len(sheet.frame),
        **(extra_metadata or {}),
    })


def _rows_by_region(report: pd.DataFrame) -> MetadataValue:
    return MetadataValue.json({str(k): int(v) for k, v in report.groupby("REGION").size().items()})


@asset(
    description="IMPACT_not_in_DPS_FYY_Qn.xlsx: IMPACT runaway events in the window that no DPS "
    "entry was matched to, by region.",
    partitions_def=fiscal_quarter_partitions, group_name=GROUP, owners=OWNERS, kinds={"excel"},
)
@failures_logged(FROM_DPS)
def impact_not_in_dps_report(context: AssetExecutionContext, sa_98: pd.DataFrame,
                             county_region_lookup: pd.DataFrame, runaway_event_matches: MatchResult,
                             exchange_rules: ExchangeRulesResource,
                             local_files: LocalFilesResource) -> Output[Path]:
    quarter = quarter_of(context)
    report = impact_not_in_dps(sa_98, runaway_event_matches, county_region_lookup, quarter)
    about = _about(context, quarter, exchange_rules, {"IMPACT not in DPS": len(report)})
    return _write(context, quarter, local_files, "IMPACT_not_in_DPS", Sheet("IMPACT not in DPS", report),
                  about, {"rows_by_region": _rows_by_region(report)})


@asset(
    description="DPS_not_in_IMPACT_FYY_Qn.xlsx: DPS entries in the window that match no IMPACT "
    "runaway event, by region of the reporting agency's county.",
    partitions_def=fiscal_quarter_partitions, group_name=GROUP, owners=OWNERS, kinds={"excel"},
)
@failures_logged(FROM_DPS)
def dps_not_in_impact_report(context: AssetExecutionContext, county_region_lookup: pd.DataFrame,
                             runaway_event_matches: MatchResult, exchange_rules: ExchangeRulesResource,
                             local_files: LocalFilesResource) -> Output[Path]:
    quarter = quarter_of(context)
    report = dps_not_in_impact(runaway_event_matches, county_region_lookup)
    about = _about(context, quarter, exchange_rules, {"DPS not in IMPACT": len(report)})
    return _write(context, quarter, local_files, "DPS_not_in_IMPACT", Sheet("DPS not in IMPACT", report),
                  about, {"rows_by_region": _rows_by_region(report)})


@asset(
    description="DPS_total_runaway_events_FYY_Qn.xlsx: DPS runaway events (distinct child and "
    "missing date) per region and quarter, fiscal year to date, with a bar chart by region.",
    partitions_def=fiscal_quarter_partitions, group_name=GROUP, owners=OWNERS, kinds={"excel"},
    ins={"county_region_lookup": AssetIn(), "runaway_event_matches": AssetIn()},
)
@failures_logged(FROM_DPS)
def dps_total_runaway_events_report(context: AssetExecutionContext, county_region_lookup: pd.DataFrame,
                                    runaway_event_matches: MatchResult,
                                    exchange_rules: ExchangeRulesResource,
                                    local_files: LocalFilesResource) -> Output[Path]:
    quarter = quarter_of(context)
    totals = dps_total_runaway_events(runaway_event_matches, county_region_lookup, quarter)
    labels = [q.label for q in quarter.quarters_to_date()]
    chart_rows = len(totals) - 1  # every region, not the STATEWIDE row
    sheet = Sheet("Totals", totals, chart=BarChartSpec(
        title=f"DPS runaway events by region, {quarter.label} fiscal year to date",
        value_columns=labels, category_rows=chart_rows))
    statewide = totals.iloc[-1]
    about = _about(context, quarter, exchange_rules, {
        "Regions": chart_rows, "Statewide runaway events (FYTD)": int(statewide[FYTD_TOTAL]),
        "Events in region UNKNOWN": int(totals.loc[totals["REGION"] == UNKNOWN_REGION, FYTD_TOTAL].sum()),
    })
    return _write(context, quarter, local_files, "DPS_total_runaway_events", sheet, about,
                  {"statewide_fytd": int(statewide[FYTD_TOTAL])})
