"""Matching DPS's entries to IMPACT's runaway events, and the quarterly workbooks: one asset per
report of the registry (`assets.report_kinds`), each built by `report_asset`."""

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, AssetKey, AssetsDefinition, AssetSpec, MetadataValue, Output

from dps_assets.assets.common import path_metadata, quarter_metadata
from dps_assets.assets.quarterly import quarter_and_log, quarterly_asset
from dps_assets.assets.report_kinds import REPORTS
from dps_assets.assets.report_registry import ReportKind
from dps_assets.assets.run_log import this_run_stamp
from dps_assets.config.schema import ExchangeConfig
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.reconciliation.matching import MATCHING_RULE, MatchResult, match_entries
from dps_assets.core.reconciliation.reports import (
    ReportWorkbook,
    count_columns,
    is_region_totals,
    matching_summary,
    report_summary,
)
from dps_assets.core.workbooks.writer import About, Sheet, created_item, write_workbook
from dps_assets.instance.ledger import latest_metadata
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.local_files import FROM_DPS, LocalFilesResource
from dps_assets.resources.sharepoint import SharePointResource

GROUP = "reports"


@quarterly_asset(
    half=FROM_DPS, group=GROUP,
    description="DPS's entries matched to IMPACT's runaway events: each DPS entry whose missing "
    "date is in the window goes to at most one runaway event of the same child, one whose "
    "runaway (widened by the configured tolerance, 7 days unless set otherwise) covers the missing "
    "date, the nearest runaway date first.",
    kinds={"pandas"},
    # dps_counts is an input of the matching only through its blocking reconciliation check:
    # when DPS's counts disagree with its files, nothing from here on runs.
    deps=["dps_counts"],
)
def runaway_event_matches(context: AssetExecutionContext, dps_results: pd.DataFrame, sa_98: pd.DataFrame,
                          exchange_rules: ExchangeRulesResource,
                          local_files: LocalFilesResource) -> Output[MatchResult]:
    quarter, log = quarter_and_log(context, local_files, FROM_DPS)
    tolerance = exchange_rules.match_tolerance_days
    match = match_entries(dps_results, sa_98, quarter.window_start, quarter.window_end, tolerance)
    summary = matching_summary(match)
    log.info(f"{quarter.label}: matching with tolerance {tolerance} day(s): {summary}")
    return Output(match, metadata={**quarter_metadata(quarter), **summary, "match_tolerance_days": tolerance})


def report_asset(kind: ReportKind) -> AssetsDefinition:
    """The asset that writes `kind`'s workbook for a quarter and hands on its path and rows."""

    def write_report(context: AssetExecutionContext, exchange_rules: ExchangeRulesResource,
                     local_files: LocalFilesResource, sharepoint: SharePointResource,
                     **inputs: Any) -> Output[ReportWorkbook]:
        quarter, log = quarter_and_log(context, local_files, FROM_DPS)
        frame = kind.frame(quarter=quarter, **inputs)
        # A table of counts by region ends in its STATEWIDE row: the sheet sets it apart, outside the filter.
        sheet = Sheet(kind.sheet, frame, chart=kind.chart(frame, quarter) if kind.chart else None,
                      totals_rows=1 if is_region_totals(frame) else None, count_columns=count_columns(frame))
        about = _about(context, quarter, exchange_rules, kind.about_lines(frame))
        path = local_files.archive_report(quarter.tag, this_run_stamp(context), f"{kind.file_stem}_{quarter.tag}.xlsx",
                                          lambda writing: write_workbook(writing, [sheet], about,
                                                                         title=kind.title or None))
        log.info(f"{quarter.label}: wrote {path} ({len(frame)} row(s))")
        # Published here, not by the delivery: the link is the report's (its materialisation
        # opens it in SharePoint), and the email that follows links it.
        web_url = sharepoint.publish(path, quarter.tag)
        if web_url:
            log.info(f"{quarter.label}: published {path.name} to SharePoint: {web_url}")
        written = ReportWorkbook(path=path, rows=len(frame), summary=report_summary(frame, kind.rows_are),
                                 web_url=web_url)
        return Output(written, metadata={
            **quarter_metadata(quarter),
            **({"sharepoint": MetadataValue.url(web_url)} if web_url else {}),
            "workbook": path_metadata(path),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "dagster/row_count": len(frame),
            **kind.extra_metadata(frame),
        })

    # Failures name the step by its function's name: the report's, as a hand-written asset's would.
    write_report.__name__ = write_report.__qualname__ = kind.name
    return quarterly_asset(half=FROM_DPS, group=GROUP, name=kind.name, description=kind.description,
                           kinds={"excel"}, ins={name: AssetIn() for name in kind.inputs})(write_report)


def _about(context: AssetExecutionContext, quarter: FiscalQuarter, rules: ExchangeRulesResource,
           rows: Mapping[str, int]) -> About:
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
        ("Matching rule", MATCHING_RULE),
        ("Dagster run", context.run_id),
        created_item(datetime.now(UTC)),
    ))


def where_analysts_find_reports(config: ExchangeConfig) -> str:
    """Where an analyst opens a report's workbook, as this configuration delivers it."""
    email = "It is also attached to the quarter's report email."
    if config.sharepoint.enabled:
        folder = (config.sharepoint.library_path or "").strip("/")
        return (f"Open it from the `sharepoint` link of the quarter's latest materialisation, or in "
                f"SharePoint in the library folder {folder}/, in the folder of its quarter "
                f"(FY2026_Q3 for FY2026-Q3). {email}")
    archive = Path(config.directories.archive_root, "reports")
    return ("SharePoint publishing is off: the workbook is attached to the quarter's report email, and "
            f"kept on the pipeline server in {archive}/, by quarter and run (the `workbook` entry of "
            "the quarter's latest materialisation is its full path).")


def with_where_to_find(assets: Iterable[Any], config: ExchangeConfig) -> list[Any]:
    """`assets` (as load_assets_from_modules lists them), each report asset's description ending
    in where its workbook is found."""
    reports = {AssetKey(kind.name) for kind in REPORTS}
    where = where_analysts_find_reports(config)

    def described(spec: AssetSpec) -> AssetSpec:
        return spec.replace_attributes(description=f"{spec.description}\n\n{where}") if spec.key in reports else spec

    return [a.map_asset_specs(described) if isinstance(a, AssetsDefinition) else a for a in assets]


def report_assets(kinds: Sequence[ReportKind]) -> dict[str, AssetsDefinition]:
    """One asset per report, by asset name."""
    return {kind.name: report_asset(kind) for kind in kinds}


REPORT_ASSETS = report_assets(REPORTS)
# Each report's asset is also this module's attribute of its name (`reports.impact_not_in_dps_report`),
# where load_assets_from_modules finds it like a hand-written asset.
globals().update(REPORT_ASSETS)
