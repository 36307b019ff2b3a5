"""A step that fails on someone else's exception: what Dagster records (its SQLite event log, the
compute logs, what the run prints) and what the run's log file says must not quote the data
the exception quoted. The steps here are real assets and checks run by Dagster on a real SQLite
instance; the exceptions are raised by openpyxl and pandas themselves."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from dagster import AssetCheckResult, AssetExecutionContext, DagsterEventType, asset, asset_check, materialize

from dps_assets.assets.partitions import fiscal_quarter_partitions
from dps_assets.assets.run_log import failures_logged
from dps_assets.config.schema import load_config
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.privacy.errors import ExchangeError
from dps_assets.definitions import build_definitions
from dps_assets.resources.local_files import TO_DPS, LocalFilesResource

Q4 = FiscalQuarter(2026, 4)
PLANTED_NAME = "ZQXWPLANTEDNAME"
PLANTED_DOB = "0207-11-19"
PLANTED = (PLANTED_NAME, PLANTED_DOB)

REPO = Path(__file__).resolve().parents[2]


class PlantedFileError(ExchangeError):
    """Stands for one of our errors raised while handling a library's error."""


def openpyxl_quotes_a_name() -> None:
    openpyxl.Workbook().active.append([f"{PLANTED_NAME}\x01"])  # IllegalCharacterError


def pandas_quotes_a_date_of_birth() -> None:
    pd.to_datetime(pd.Series([PLANTED_DOB]))  # OutOfBoundsDatetime


def our_error_raised_from_a_library_error() -> None:
    try:
        pandas_quotes_a_date_of_birth()
    except ValueError as exc:
        raise PlantedFileError("results.txt, line 2, column DOB: not a date in range") from exc


def our_error_raised_while_handling_a_library_error() -> None:
    try:
        openpyxl_quotes_a_name()
    except Exception:  # noqa: BLE001 - IllegalCharacterError is no ValueError
        message = "end_export.xlsx, sheet Export, row 2: a name holds a control character"
        raise PlantedFileError(message)  # noqa: B904 - raised while handling, not from: the case under test


def a_step(failing: Callable[[], None]):
    @asset(name="planted_step", partitions_def=fiscal_quarter_partitions)
    @failures_logged(TO_DPS)
    def planted_step(context: AssetExecutionContext, local_files: LocalFilesResource) -> int:
        failing()
        return 1

    return planted_step


def written_bytes(*roots: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for root in roots for p in sorted(root.rglob("*")) if p.is_file()]


def planted_values_in(texts: list[tuple[object, bytes]]) -> list[str]:
    return [f"{where}: {value}" for where, data in texts for value in PLANTED if value.encode() in data]


@pytest.mark.parametrize("failing, expected", [
    (openpyxl_quotes_a_name, "StepFailed: step planted_step failed: IllegalCharacterError "
     "(openpyxl.utils.exceptions) raised in openpyxl.cell.cell:"),
    (pandas_quotes_a_date_of_birth, "StepFailed: step planted_step failed: OutOfBoundsDatetime "
     "(pandas._libs.tslibs.np_datetime) raised in "),
    (our_error_raised_from_a_library_error, "PlantedFileError: results.txt, line 2, column DOB"),
    (our_error_raised_while_handling_a_library_error, "PlantedFileError: end_export.xlsx, sheet Export"),
])
def test_a_failed_step_records_no_value_a_library_quoted(failing, expected, instance, tmp_path, capfd):
    logs = tmp_path / "logs"
    local_files = LocalFilesResource(archive_root=str(tmp_path / "archive"), log_root=str(logs),
                                     work_root=str(tmp_path / "work"))
    result = materialize([a_step(failing)], instance=instance, resources={"local_files": local_files},
                         partition_key=Q4.partition_key, raise_on_error=False)
    assert not result.success

    # No byte Dagster or the step wrote, nor anything the run printed, holds the planted values.
    printed = capfd.readouterr()
    written = written_bytes(Path(instance.root_directory), tmp_path / "logs")
    assert any(p.suffix == ".db" for p, _ in written)  # the SQLite event log was searched
    compute_logs = [data for p, data in written if p.suffix == ".err"]
    assert any(expected.split(":")[0].encode() in data for data in compute_logs)  # so were they
    assert planted_values_in([*written, ("stdout", printed.out.encode()), ("stderr", printed.err.encode())]) == []

    # Dagster's record: the step's error is ours, with nothing chained behind it.
    [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    error = failure.step_failure_data.error
    ours = error.cause  # Dagster's DagsterExecutionStepExecutionError wraps the step's error
    cls_name, text = expected.split(": ", 1)
    assert ours.cls_name == cls_name and text in ours.message
    assert ours.cause is None and ours.context is None
    if ours.cls_name == "StepFailed":
        assert "not recorded because it may quote a child's data" in ours.message

    # The run's log file says the same.
    [log] = (logs / TO_DPS).iterdir()
    assert f"ERROR   planted_step: failed: {expected}" in log.read_text()


def xlsxwriter_meets_a_full_disk() -> None:
    workbook = xlsxwriter.Workbook("/dev/full", {"in_memory": True})  # every write: ENOSPC
    workbook.add_worksheet().write_string(0, 0, PLANTED_NAME)
    workbook.close()  # FileCreateError, holding the OSError


# XlsxWriter used bare, as no step does (`core.workbooks.writer` cuts its zip writer off): its zip file
# fails again when collected, which Python reports as an unraisable exception.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_library_that_met_a_full_disk_is_said_to_have_met_one(instance, tmp_path):
    """Outside our own writers too: the operating-system error a library wrapped is found and
    said in our words."""
    local_files = LocalFilesResource(archive_root=str(tmp_path / "archive"), log_root=str(tmp_path / "logs"),
                                     work_root=str(tmp_path / "work"))
    result = materialize([a_step(xlsxwriter_meets_a_full_disk)], instance=instance,
                         resources={"local_files": local_files}, partition_key=Q4.partition_key, raise_on_error=False)
    [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    ours = failure.step_failure_data.error.cause
    assert ours.cls_name == "StepFailed" and ours.cause is None and ours.context is None
    assert "failed: FileCreateError (xlsxwriter.exceptions) raised in xlsxwriter.workbook:" in ours.message
    assert ": disk full (ENOSPC); its message is not recorded" in ours.message
    [log] = (tmp_path / "logs" / TO_DPS).iterdir()
    assert ": disk full (ENOSPC); its message is not recorded" in log.read_text()


def test_a_check_without_context_or_resources_is_made_safe_too(instance):
    @asset(name="planted_rows", partitions_def=fiscal_quarter_partitions)
    def planted_rows() -> pd.DataFrame:
        return pd.DataFrame({"DOB": [dt.date(2010, 3, 4)]})

    @asset_check(asset="planted_rows", partitions_def=fiscal_quarter_partitions)
    @failures_logged(TO_DPS)
    def rows_have_dates(planted_rows: pd.DataFrame) -> AssetCheckResult:
        pandas_quotes_a_date_of_birth()
        return AssetCheckResult(passed=True)

    result = materialize([planted_rows, rows_have_dates], instance=instance,
                         partition_key=Q4.partition_key, raise_on_error=False)
    [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    ours = failure.step_failure_data.error.cause
    assert ours.cls_name == "StepFailed" and ours.cause is None and ours.context is None
    assert "StepFailed: step rows_have_dates failed: OutOfBoundsDatetime" in ours.message
    assert planted_values_in(written_bytes(Path(instance.root_directory))) == []


def test_every_asset_and_check_of_the_exchange_is_made_safe():
    """Every compute function of the code location (assets and checks, as Dagster holds them)
    sits under `failures_logged`, whichever decorator defined it."""
    defs = build_definitions(load_config(REPO / "dps_config.demo.yml"))
    steps = {d.op.name: d.op.compute_fn.decorated_fn for d in [*defs.assets, *defs.asset_checks]}
    assert len(steps) >= 16  # the twelve assets and the checks
    unsafe = [name for name, fn in steps.items() if getattr(fn, "failures_logged", None) not in ("to_dps", "from_dps")]
    assert unsafe == []
