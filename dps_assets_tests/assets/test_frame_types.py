"""The Dagster type of dps_results (assets/frame_types): dagster-pandera's type as the UI shows it,
checked by core.schemas.check_frame. A frame that breaks the schema, or an error inside the check,
fails the step with our error, and nothing Dagster records or prints quotes a value; run by
Dagster on a real SQLite instance, beside dagster-pandera's own type, which does quote them."""

from pathlib import Path

import numpy as np
import pandas as pd
from dagster import DagsterEventType, asset, materialize
from dagster_pandera import pandera_schema_to_dagster_type

from dps_assets.assets import frame_types
from dps_assets.assets.frame_types import checked_frame_type
from dps_assets.automation.alert_sensors import _step_failure_line
from dps_assets.core.schemas import DPS_RESULTS_SCHEMA

PLANTED_NAME = "ZQXWPLANTEDNAME"
PLANTED_DOB = "0207-11-19"


def results_frame(rows: int = 4) -> pd.DataFrame:
    day = pd.Series(pd.to_datetime(["2026-07-01"] * rows))
    return pd.DataFrame({
        "DFPS_PERSON_ID": np.arange(100, 100 + rows, dtype="int64"), "NIC": [f"M{i:09d}" for i in range(rows)],
        "LAST_NAME": "PEÑA", "FIRST_NAME": "ZOË", "DOB": day, "SEX": "F", "RACE": "W", "MKE": "EMJ",
        "ORI": "TX2270000", "AGENCY_COUNTY": "Travis", "ENTRY_DATE": day, "MISSING_DATE": day, "CLEAR_DATE": day,
        "SOURCE_LINE": np.arange(2, 2 + rows, dtype="int64")})


def planted_frame() -> pd.DataFrame:
    """A row shifted: a child's name where the NIC goes, a date of birth where the MKE goes."""
    frame = results_frame()
    frame.loc[2, "NIC"] = PLANTED_NAME
    frame.loc[3, "MKE"] = PLANTED_DOB
    return frame


def run(frame: pd.DataFrame, dagster_type, instance):
    @asset(name="planted_frame", dagster_type=dagster_type)
    def planted() -> pd.DataFrame:
        return frame

    return materialize([planted], instance=instance, raise_on_error=False)


def planted_values_recorded(instance, printed) -> list[str]:
    texts = [(p, p.read_bytes()) for p in sorted(Path(instance.root_directory).rglob("*")) if p.is_file()]
    texts += [("stdout", printed.out.encode()), ("stderr", printed.err.encode())]
    return [f"{where}: {value}" for where, data in texts for value in (PLANTED_NAME, PLANTED_DOB)
            if value.encode() in data]


def the_failure(result):
    [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    return failure


def test_the_type_is_dagster_panderas_as_the_ui_shows_it_and_a_good_frame_passes(dagster_instance):
    ours = checked_frame_type(DPS_RESULTS_SCHEMA, "dps_results")
    theirs = pandera_schema_to_dagster_type(DPS_RESULTS_SCHEMA)
    assert (ours.unique_name, ours.description, ours.metadata) == (theirs.unique_name, theirs.description,
                                                                    theirs.metadata)
    assert [c.name for c in ours.metadata["schema"].schema.columns] == list(DPS_RESULTS_SCHEMA.columns)
    assert run(results_frame(), ours, dagster_instance).success


def test_a_frame_that_breaks_the_schema_fails_with_our_error_and_quotes_no_value(dagster_instance, capfd):
    result = run(planted_frame(), checked_frame_type(DPS_RESULTS_SCHEMA, "dps_results"), dagster_instance)
    assert not result.success
    failure = the_failure(result)
    ours = failure.step_failure_data.error.cause  # Dagster's DagsterTypeCheckError wraps it
    assert ours.cls_name == "FrameValidationError" and ours.cause is None and ours.context is None
    assert "dps_results: 2 schema violation(s)" in ours.message
    assert "column NIC: fails str_matches('^M\\d{9}$') (1 case(s)) at row(s) 3" in ours.message
    assert "column MKE: fails isin(" in ours.message
    assert _step_failure_line(failure).startswith("Step planted_frame: FrameValidationError: dps_results: 2 schema")
    assert planted_values_recorded(dagster_instance, capfd.readouterr()) == []


def test_an_error_inside_the_check_is_recorded_by_its_class_alone(dagster_instance, capfd, monkeypatch):
    def quoting(schema, frame, what):
        raise ValueError(f"cannot compare {PLANTED_NAME} with {PLANTED_DOB}")

    monkeypatch.setattr(frame_types, "check_frame", quoting)
    result = run(results_frame(), checked_frame_type(DPS_RESULTS_SCHEMA, "dps_results"), dagster_instance)
    ours = the_failure(result).step_failure_data.error.cause
    assert ours.cls_name == "StepFailed" and ours.cause is None and ours.context is None
    assert "step dps_results (its type check) failed: ValueError" in ours.message
    assert planted_values_recorded(dagster_instance, capfd.readouterr()) == []


def test_dagster_panderas_own_type_would_have_quoted_them(dagster_instance, capfd):
    # What the test above guards against, seen by the same search.
    result = run(planted_frame(), pandera_schema_to_dagster_type(DPS_RESULTS_SCHEMA), dagster_instance)
    assert not result.success
    assert planted_values_recorded(dagster_instance, capfd.readouterr()) != []
