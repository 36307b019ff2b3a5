"""The exchange's ledger, read from Dagster's own event log through its public API: what was
submitted and when, what DPS's answer was fetched for, what was emailed (or may have been), and
the latest materialisation of any asset partition, and each quarter's latest delivery (for the
history across quarters). The only module that reads the instance's events.

Every upload is recorded by an observation of `dps_submission`, logged the moment the upload is
complete and while the DPS-folder lock is still held (see `critical_section`), and then by the
materialisation that ends the step; both carry when it was made. Every fetch of DPS's answer is a
materialisation of `dps_results`. Every email is recorded by two observations of
`dps_report_delivery`, both under the email lock: its intent, right before the relay is handed the
message, and its confirmation once the relay accepted it (`core.email_record`). The instance is
therefore the ledger, and the UI shows the same history the sensor and the guards decide on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dagster import AssetKey, AssetRecordsFilter, DagsterInstance, DagsterRunStatus, EventLogRecord, RunsFilter

from dps_assets.core.exchange.email_record import EmailRecord
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.exchange.submissions import Submission

SUBMISSION_KEY = AssetKey("dps_submission")
RESULTS_KEY = AssetKey("dps_results")
DELIVERY_KEY = AssetKey("dps_report_delivery")
_PAGE = 500


def _materializations(instance: DagsterInstance, key: AssetKey) -> Iterator[EventLogRecord]:
    cursor = None
    while True:
        page = instance.fetch_materializations(key, limit=_PAGE, cursor=cursor, ascending=True)
        yield from page.records
        if not page.has_more:
            return
        cursor = page.cursor


def _observations(instance: DagsterInstance, key: AssetKey) -> Iterator[EventLogRecord]:
    cursor = None
    while True:
        page = instance.fetch_observations(AssetRecordsFilter(asset_key=key), limit=_PAGE,
                                           cursor=cursor, ascending=True)
        yield from page.records
        if not page.has_more:
            return
        cursor = page.cursor


def recorded_submissions(instance: DagsterInstance) -> list[Submission]:
    """Every upload recorded in the instance, once each: the observation logged right after the
    upload and the materialisation that follows carry the same time, and re-materialisations
    that did not upload repeat the earlier submission's time."""
    found: dict[tuple[FiscalQuarter, float], Submission] = {}
    records = [*_observations(instance, SUBMISSION_KEY), *_materializations(instance, SUBMISSION_KEY)]
    for record in records:
        event = record.asset_observation or record.asset_materialization
        quarter = FiscalQuarter.from_partition_key_or_none(event.partition if event else None)
        if quarter is None or event is None:
            continue
        metadata: dict[str, Any] = {k: v.value for k, v in event.metadata.items()}
        if "submitted_at" not in metadata:
            continue
        submission = Submission(
            quarter=quarter,
            submitted_at=float(metadata["submitted_at"]),
            sha256=str(metadata.get("sha256", "")),
            rows=int(metadata.get("rows", 0)),
        )
        found.setdefault((submission.quarter, submission.submitted_at), submission)
    return sorted(found.values(), key=lambda s: s.submitted_at)


def answers_fetched(instance: DagsterInstance) -> dict[FiscalQuarter, float]:
    """When DPS's answer was last fetched, per quarter (timestamp of the latest dps_results)."""
    answered: dict[FiscalQuarter, float] = {}
    for record in _materializations(instance, RESULTS_KEY):
        quarter = FiscalQuarter.from_partition_key_or_none(record.partition_key)
        if quarter is None:
            continue
        answered[quarter] = max(answered.get(quarter, 0.0), record.timestamp)
    return answered


def latest_metadata(instance: DagsterInstance, key: str, partition_key: str) -> tuple[str | None, dict]:
    """The run id and metadata values of an asset partition's latest materialisation."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(key), asset_partitions=[partition_key]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return None, {}
    metadata = records[0].asset_materialization.metadata
    return records[0].run_id, {k: v.value for k, v in metadata.items()}


def latest_email_record(instance: DagsterInstance, partition_key: str) -> EmailRecord | None:
    """The quarter's latest email record (`core.email_record`): the observation of
    `dps_report_delivery` logged right before the reports were handed to the relay (an intent,
    `email_intent_at`), or the one logged once the relay accepted them (`emailed_at`)."""
    cursor = None
    while True:
        page = instance.fetch_observations(
            AssetRecordsFilter(asset_key=DELIVERY_KEY, asset_partitions=[partition_key]), limit=_PAGE, cursor=cursor)
        for record in page.records:  # newest first
            event = record.asset_observation
            metadata: dict[str, Any] = {k: v.value for k, v in event.metadata.items()} if event else {}
            for entry, confirmed in (("emailed_at", True), ("email_intent_at", False)):
                if entry in metadata:
                    return EmailRecord(message_id=str(metadata.get("message_id", "")), at=float(metadata[entry]),
                                       confirmed=confirmed, run_id=record.run_id)
        if not page.has_more:
            return None
        cursor = page.cursor


_IN_FLIGHT = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
              DagsterRunStatus.STARTED]


def other_runs_in_flight(instance: DagsterInstance, partition_key: str, this_run_id: str) -> list[str]:
    """Ids of the other runs of this quarter that are queued or running."""
    runs = instance.get_runs(RunsFilter(tags={"dagster/partition": partition_key}, statuses=_IN_FLIGHT))
    return [run.run_id for run in runs if run.run_id != this_run_id]


# --- the history across quarters ------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    """A quarter's latest delivery of its reports: the materialisation of `dps_report_delivery`
    (its storage id orders it among the instance's events) and its metadata's values."""

    quarter: FiscalQuarter
    storage_id: int
    timestamp: float
    metadata: dict[str, Any]


def latest_deliveries(instance: DagsterInstance) -> dict[FiscalQuarter, Delivery]:
    """Each quarter's latest delivery, by quarter (partitions that are not quarters left out)."""
    deliveries: dict[FiscalQuarter, Delivery] = {}
    for record in _materializations(instance, DELIVERY_KEY):  # oldest first: the latest stays
        quarter = FiscalQuarter.from_partition_key_or_none(record.partition_key)
        event = record.asset_materialization
        if quarter is not None and event is not None:
            metadata = {k: v.value for k, v in event.metadata.items()}
            deliveries[quarter] = Delivery(quarter, record.storage_id, record.timestamp, metadata)
    return deliveries


def newest_delivery_after(instance: DagsterInstance, storage_id: int | None) -> Delivery | None:
    """The newest delivery of any quarter recorded after the event `storage_id` (any, if None)."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=DELIVERY_KEY, after_storage_id=storage_id), limit=1).records
    if not records or records[0].asset_materialization is None:
        return None
    quarter = FiscalQuarter.from_partition_key_or_none(records[0].partition_key)
    metadata = {k: v.value for k, v in records[0].asset_materialization.metadata.items()}
    return Delivery(quarter, records[0].storage_id, records[0].timestamp, metadata) if quarter else None


def metadata_before(instance: DagsterInstance, key: str, partition_key: str, storage_id: int) -> dict[str, Any]:
    """The metadata values of an asset partition's latest materialisation before the event
    `storage_id` (what a delivery was made from); empty if there is none."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(key), asset_partitions=[partition_key], before_storage_id=storage_id),
        limit=1).records
    event = records[0].asset_materialization if records else None
    return {k: v.value for k, v in event.metadata.items()} if event else {}


def was_materialized(instance: DagsterInstance, key: str, partition_key: str) -> bool:
    """Whether an asset partition was ever materialised."""
    return bool(instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(key), asset_partitions=[partition_key]), limit=1).records)
