"""Asset checks of the receiving half: the counts reconciliation gates the reports (when it
fails, its step fails with the check's sentence too, so the run's page says it first); the other
checks warn about data an analyst should look at."""

from collections import Counter
from collections.abc import Iterator

import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetIn,
    MetadataValue,
)

from dps_assets.assets.partitions import fiscal_quarter_partitions
from dps_assets.assets.quarterly import quarter_and_log, quarterly_check
from dps_assets.core.dps_files.reading import CountsDisagreeError, DpsCounts, count_data_lines, reconcile
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.export.text_file import submitted_person_ids
from dps_assets.core.impact.regions import unmapped_counties
from dps_assets.instance.ledger import latest_metadata
from dps_assets.resources.exchange_rules import ExchangeRulesResource
from dps_assets.resources.local_files import FROM_DPS, TO_DPS, LocalFilesResource


@quarterly_check(
    half=FROM_DPS,
    asset="dps_counts",
    additional_ins={"dps_results": AssetIn()},
    blocking=True,
    description="DPS's counts file agrees with what was sent and what came back: records "
    "received = children sent, missing-person entries = rows of DPS's results, persons matched = "
    "children in DPS's results. When it does not, no report is made and nothing is emailed.",
)
def dps_counts_reconcile(context: AssetCheckExecutionContext, dps_counts: DpsCounts,
                         dps_results: pd.DataFrame, local_files: LocalFilesResource,
                         exchange_rules: ExchangeRulesResource) -> Iterator[AssetCheckResult]:
    quarter, log = quarter_and_log(context, local_files, FROM_DPS)
    submitted_rows, counted_from = _submitted_rows(context, quarter, local_files, exchange_rules)
    if submitted_rows is None:
        result = AssetCheckResult(
            passed=False,
            severity=AssetCheckSeverity.ERROR,
            description=f"RECORDS_RECEIVED cannot be checked: no submission of {quarter.label} is "
            f"recorded in this Dagster instance, and none is archived under {counted_from}",
        )
    else:
        reconciliation = reconcile(dps_counts, dps_results, submitted_rows)
        result = AssetCheckResult(
            passed=reconciliation.holds,
            severity=AssetCheckSeverity.ERROR,
            description=reconciliation.describe(),
            metadata={
                # One number per measure, so the UI can plot each across quarters.
                **{f"{measure.lower()}_expected": MetadataValue.int(int(value))
                   for measure, value in reconciliation.expected.items()},
                **{f"{measure.lower()}_reported_by_dps": MetadataValue.int(int(value))
                   for measure, value in reconciliation.reported.items() if measure in reconciliation.expected},
                "measures_disagreeing": MetadataValue.int(len(reconciliation.mismatches)),
                "records_sent_counted_from": counted_from,
            },
        )
    yield result
    if not result.passed:  # the run log and Dagster record it as the step's failure
        raise CountsDisagreeError(f"{quarter.label}: {result.description}. No report is made and nothing "
                                  "is emailed; DPS's files stay where they are.")
    log.info(f"{quarter.label}: {result.description}")


def _submitted_rows(context: AssetCheckExecutionContext, quarter: FiscalQuarter,
                    local_files: LocalFilesResource,
                    exchange_rules: ExchangeRulesResource) -> tuple[int | None, str]:
    """Data lines of the quarter's latest submission: from its materialisation, else (an instance
    that has lost its history) from the archived copy of the file that was sent."""
    _, submission = latest_metadata(context.instance, "dps_submission", context.partition_key)
    if "rows" in submission:
        return int(submission["rows"]), "dps_submission"
    sent = local_files.latest_archived(TO_DPS, quarter.tag, exchange_rules.text_file_name)
    if sent is not None:
        return count_data_lines(sent.read_bytes()), str(sent)
    return None, str(local_files.archive_folder(TO_DPS, quarter.tag))


@quarterly_check(
    half=FROM_DPS,
    asset="county_region_lookup",
    additional_ins={"sa_98": AssetIn(), "dps_results": AssetIn()},
    description="Every county named by IMPACT or by DPS has a region; those without are "
    "reported under region UNKNOWN and listed here.",
)
def counties_have_regions(county_region_lookup: pd.DataFrame, sa_98: pd.DataFrame,
                          dps_results: pd.DataFrame) -> AssetCheckResult:
    impact = unmapped_counties(sa_98["CNTY_NAME"], county_region_lookup)
    dps = unmapped_counties(dps_results["AGENCY_COUNTY"], county_region_lookup)
    return AssetCheckResult(
        passed=not impact and not dps,
        severity=AssetCheckSeverity.WARN,
        description=(f"{len(impact) + len(dps)} county name(s) without a region" if impact or dps
                     else "every county has a region"),
        metadata={"counties_without_region": MetadataValue.int(len(impact) + len(dps)),
                  "impact_counties_without_region": MetadataValue.json(impact),
                  "dps_counties_without_region": MetadataValue.json(dps)},
    )


@quarterly_check(
    half=FROM_DPS,
    asset="dps_results",
    description="Every child in DPS's results (by DFPS person id) was on the list DFPS sent for "
    "the quarter.",
)
def dps_person_ids_were_submitted(context: AssetCheckExecutionContext, dps_results: pd.DataFrame,
                                  local_files: LocalFilesResource,
                                  exchange_rules: ExchangeRulesResource) -> AssetCheckResult:
    quarter = FiscalQuarter.from_partition_key(context.partition_key)
    sent = local_files.latest_archived(TO_DPS, quarter.tag, exchange_rules.text_file_name)
    if sent is None:
        return AssetCheckResult(passed=False, severity=AssetCheckSeverity.WARN,
                                description=f"no submitted file of {quarter.label} is archived to compare with")
    unknown = sorted(set(dps_results["DFPS_PERSON_ID"]) - submitted_person_ids(sent.read_bytes(),
                                                                                exchange_rules.text_layout))
    return AssetCheckResult(
        passed=not unknown,
        severity=AssetCheckSeverity.WARN,
        description=(f"{len(unknown)} person id(s) in DPS's results were not submitted" if unknown
                     else "every person id in DPS's results was submitted"),
        metadata={"unknown_person_ids": MetadataValue.json([int(i) for i in unknown[:200]]),
                  "unknown_count": MetadataValue.int(len(unknown)), "submitted_file": MetadataValue.path(str(sent))},
    )


@quarterly_check(
    half=FROM_DPS,
    asset="dps_results",
    description="DPS entries whose missing date falls outside the quarter's fiscal-year-to-date "
    "window are counted here and left out of the matching.",
)
def dps_entries_in_window(context: AssetCheckExecutionContext, dps_results: pd.DataFrame) -> AssetCheckResult:
    quarter = FiscalQuarter.from_partition_key(context.partition_key)
    dates = dps_results["MISSING_DATE"]
    before = int((dates < pd.Timestamp(quarter.window_start)).sum())
    after = int((dates > pd.Timestamp(quarter.window_end)).sum())
    return AssetCheckResult(
        passed=True,
        description=f"{before + after} of {len(dps_results)} entr(ies) outside the window",
        metadata={"outside_window": MetadataValue.int(before + after), "before_window": MetadataValue.int(before),
                  "after_window": MetadataValue.int(after),
                  "in_window": MetadataValue.int(len(dps_results) - before - after)},
    )


# Computed by the sa_98 asset itself (it alone sees the rows it left out), so declared as a spec.
SA_98_ROWS_CHECK = AssetCheckSpec(
    "sa_98_rows_usable",
    asset="sa_98",
    partitions_def=fiscal_quarter_partitions,
    description="Every IMPACT runaway event can take part in the matching. An event whose person "
    "or event id is not a whole number, whose event id repeats, that has no runaway date, whose "
    "dates are not dates (or fall before 1900 or after 2262), or whose text holds control "
    "characters is left out of the matching and the reports, and listed here by runaway event id "
    "(never by name).",
)
_IDS_LISTED = 500


def sa_98_rows_result(set_aside: pd.DataFrame) -> AssetCheckResult:
    """`set_aside` as `core.impact.sa_98_rows` gives it: QUERY_ROW, RUNAWAY_EVENT_ID, PROBLEM."""
    known = set_aside[set_aside["RUNAWAY_EVENT_ID"].notna()]
    ids = sorted({int(i) for i in known["RUNAWAY_EVENT_ID"]})
    rows_without_id = [int(r) for r in set_aside.loc[set_aside["RUNAWAY_EVENT_ID"].isna(), "QUERY_ROW"]]
    problems = Counter(p for cell in set_aside["PROBLEM"] for p in cell.split("; "))
    if set_aside.empty:
        description = "every sa_98 row takes part in the matching"
    else:
        shown = ", ".join(map(str, ids[:20])) + (" …" if len(ids) > 20 else "")
        description = (f"{len(set_aside)} sa_98 row(s) left out of the matching and the reports"
                       + (f": RUNAWAY_EVENT_ID {shown}" if ids else "")
                       + (f"; {len(rows_without_id)} row(s) without a readable RUNAWAY_EVENT_ID"
                          if rows_without_id else ""))
    return AssetCheckResult(
        asset_key="sa_98",
        check_name=SA_98_ROWS_CHECK.name,
        passed=set_aside.empty,
        severity=AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "rows_set_aside": MetadataValue.int(len(set_aside)),
            "runaway_event_ids": MetadataValue.json(ids[:_IDS_LISTED]),
            "runaway_event_ids_listed": MetadataValue.int(min(len(ids), _IDS_LISTED)),
            "runaway_event_ids_set_aside": MetadataValue.int(len(ids)),
            "rows_without_an_event_id": MetadataValue.int(len(rows_without_id)),
            "query_rows_without_an_event_id": MetadataValue.json(rows_without_id[:_IDS_LISTED]),
            "problems": MetadataValue.json(dict(sorted(problems.items()))),
            "problem_by_event_id": MetadataValue.json(
                {str(int(i)): p for i, p in zip(known["RUNAWAY_EVENT_ID"], known["PROBLEM"], strict=True)}
                if len(known) <= _IDS_LISTED else {}),
        },
    )
