"""The receiving half's inputs: DPS's two files, and IMPACT's runaway events and county lookup."""

from collections.abc import Iterator

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, Output
from dagster_pandera import pandera_schema_to_dagster_type

from dps_assets.assets.common import Metadata, frame_metadata, markdown_table, path_metadata, quarter_metadata
from dps_assets.assets.dps_fetch import FetchConfig, FetchedFile, fetch_dps_file
from dps_assets.assets.frame_types import checked_frame_type
from dps_assets.assets.partitions import quarter_of
from dps_assets.assets.quarterly import quarter_and_log, quarterly_asset
from dps_assets.assets.receiving_checks import SA_98_ROWS_CHECK, sa_98_rows_result
from dps_assets.assets.run_log import RunLog
from dps_assets.core.dps_files.reading import DpsCounts, DpsFileError, parse_counts, parse_results
from dps_assets.core.impact.regions import build_region_lookup, region_value, sort_regions
from dps_assets.core.impact.sa_98_rows import split_sa_98_rows
from dps_assets.core.schemas import (
    COUNTY_REGION_SCHEMA,
    DPS_RESULTS_SCHEMA,
    SA_98_DATE_COLUMNS,
    SA_98_SCHEMA,
    calendar_days,
    validate,
)
from dps_assets.resources.database import WarehouseResource
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.local_files import FROM_DPS, LocalFilesResource
from dps_assets.resources.sftp import SftpResource

DPS_GROUP = "from_dps"
IMPACT_GROUP = "impact"


def _file_metadata(fetched: FetchedFile) -> Metadata:
    metadata: Metadata = {
        "file": path_metadata(fetched.local_path),
        "sha256": fetched.sha256,
        "bytes": fetched.size,
        "source": fetched.source,
    }
    if fetched.remote_path:
        metadata["remote_path"] = fetched.remote_path
        if fetched.remote_mtime is not None:
            metadata["remote_mtime"] = MetadataValue.timestamp(float(fetched.remote_mtime))
    return metadata


def counties_by_region(lookup: pd.DataFrame) -> MetadataValue:
    """How many county names the lookup has in each region, as a Markdown table in natural order."""
    counts = lookup["REGION"].map(region_value).value_counts()
    regions = sort_regions(counts.index)
    return MetadataValue.md(markdown_table(pd.DataFrame({
        "REGION": regions, "COUNTIES": [int(counts[r]) for r in regions]})))


def _parse(log: RunLog, parse, fetched: FetchedFile):
    try:
        return parse(fetched.local_path.read_bytes(), fetched.name)
    except DpsFileError as exc:
        log.error(f"rejected {fetched.name} (sha256 {fetched.sha256}): {exc}. Nothing downstream "
                  "runs, nothing is emailed, the files on the SFTP server are left where they are.")
        raise


@quarterly_asset(
    half=FROM_DPS, group=DPS_GROUP,
    description="DPS's answer for the quarter: its TCIC missing-person entries for the children "
    "sent (DPS's results file), fetched from DPS's SFTP server, or from the archive when the "
    "quarter is run again. A file that breaks DPS's layout is rejected whole, naming the line and "
    "column.",
    kinds={"sftp", "pandas"},
    deps=["dps_submission"],
    dagster_type=checked_frame_type(DPS_RESULTS_SCHEMA, "dps_results"),  # the frame's one validation
)
def dps_results(context: AssetExecutionContext, config: FetchConfig, sftp: SftpResource,
                exchange_rules: ExchangeRulesResource,
                local_files: LocalFilesResource) -> Output[pd.DataFrame]:
    quarter, log = quarter_and_log(context, local_files, FROM_DPS)
    fetched = fetch_dps_file(context, quarter, exchange_rules.results_file_name, config, sftp, local_files)
    log.info(f"{quarter.label}: {fetched.name} from {fetched.source} ({fetched.size} bytes, sha256 {fetched.sha256})")
    frame = _parse(log, parse_results, fetched)  # checked against DPS_RESULTS_SCHEMA by its Dagster type
    log.info(f"{quarter.label}: {len(frame)} entr(ies) for {frame['DFPS_PERSON_ID'].nunique()} child(ren)")
    return Output(frame, metadata={
        **quarter_metadata(quarter), **frame_metadata(frame), **_file_metadata(fetched),
        "persons": int(frame["DFPS_PERSON_ID"].nunique()),
    })


@quarterly_asset(
    half=FROM_DPS, group=DPS_GROUP,
    description="DPS's own counts of what it received and found for the quarter (DPS's counts "
    "file), checked against its results and against what was sent before any report is made.",
    kinds={"sftp"},
    deps=["dps_submission"],
)
def dps_counts(context: AssetExecutionContext, config: FetchConfig, sftp: SftpResource,
               exchange_rules: ExchangeRulesResource,
               local_files: LocalFilesResource) -> Output[DpsCounts]:
    quarter, log = quarter_and_log(context, local_files, FROM_DPS)
    fetched = fetch_dps_file(context, quarter, exchange_rules.counts_file_name, config, sftp, local_files)
    counts = _parse(log, parse_counts, fetched)
    log.info(f"{quarter.label}: {fetched.name} from {fetched.source}: {counts.as_dict()}")
    return Output(counts, metadata={
        **quarter_metadata(quarter), **_file_metadata(fetched), **counts.as_dict(),
    })


@quarterly_asset(
    half=FROM_DPS, group=IMPACT_GROUP,
    description="IMPACT's runaway events of the quarter's fiscal year (the SA-98 report's "
    "query). Events the matching cannot use are left out and listed by runaway event id in the "
    "check sa_98_rows_usable.",
    kinds={"oracle", "pandas"},
    dagster_type=pandera_schema_to_dagster_type(SA_98_SCHEMA),
    check_specs=[SA_98_ROWS_CHECK],
)
def sa_98(context: AssetExecutionContext, warehouse: WarehouseResource,
          local_files: LocalFilesResource) -> Iterator:
    quarter, log = quarter_and_log(context, local_files, FROM_DPS)
    rows = split_sa_98_rows(warehouse.sa_98(quarter.fiscal_year_start, quarter.fiscal_year_end))
    frame = calendar_days(validate(SA_98_SCHEMA, rows.usable, f"sa_98 {quarter.label}"), SA_98_DATE_COLUMNS)
    in_window = frame["RUNAWAY_DATE"].between(pd.Timestamp(quarter.window_start), pd.Timestamp(quarter.window_end))
    log.info(f"{quarter.label}: sa_98 returned {len(frame) + len(rows.set_aside)} event(s) for "
             f"FY{quarter.fiscal_year}, {int(in_window.sum())} usable in the window")
    check = sa_98_rows_result(rows.set_aside)
    if not check.passed:
        log.warning(f"{quarter.label}: {check.description}; see check {SA_98_ROWS_CHECK.name}")
    yield Output(frame, metadata={
        **quarter_metadata(quarter), **frame_metadata(frame),
        "fiscal_year": f"{quarter.fiscal_year_start} .. {quarter.fiscal_year_end}",
        "events_in_window": int(in_window.sum()),
        # The quarter's own events: the history across quarters compares quarters by them.
        "events_in_quarter": int(frame["RUNAWAY_DATE"].between(pd.Timestamp(quarter.start),
                                                                pd.Timestamp(quarter.end)).sum()),
        "still_missing": int(frame["RETURN_DATE"].isna().sum()),
        "rows_set_aside": len(rows.set_aside),
    })
    yield check


@quarterly_asset(
    half=FROM_DPS, group=IMPACT_GROUP,
    description="Which DFPS region each Texas county belongs to (IMPACT's county and region "
    "table), with county names tidied so that IMPACT's and DPS's spellings of a county meet.",
    kinds={"oracle", "pandas"},
    dagster_type=pandera_schema_to_dagster_type(COUNTY_REGION_SCHEMA),
)
def county_region_lookup(context: AssetExecutionContext, warehouse: WarehouseResource,
                         local_files: LocalFilesResource) -> Output[pd.DataFrame]:
    quarter = quarter_of(context)
    lookup = validate(COUNTY_REGION_SCHEMA, build_region_lookup(warehouse.county_regions()), "county lookup")
    RunLog(context, local_files, FROM_DPS, quarter).info(
        f"{quarter.label}: county lookup has {len(lookup)} county name(s) in "
        f"{lookup['REGION'].nunique()} region(s)")
    return Output(lookup, metadata={
        **quarter_metadata(quarter), **frame_metadata(lookup),
        "counties_by_region": counties_by_region(lookup),
    })
