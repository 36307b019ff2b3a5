"""core.schemas.check_frame, the check of a frame that must already be as its schema says (the
dps_results asset's Dagster type): it finds what pandera's validate finds without converting
anything (the oracle: pandera with coerce off), in bulk, and its error names columns, checks and
rows, never a value."""

import copy
import random

import numpy as np
import pandas as pd
import pytest
from pandera.errors import SchemaErrors

from dps_assets.core.schemas import DPS_RESULTS_SCHEMA, EXPORT_SCHEMA, FrameValidationError, check_frame, frame_failures


def results_frame(rows: int = 6) -> pd.DataFrame:
    days = pd.to_datetime(["2026-07-01"] * rows)
    return pd.DataFrame({
        "DFPS_PERSON_ID": np.arange(100, 100 + rows, dtype="int64"), "NIC": [f"M{i:09d}" for i in range(rows)],
        "LAST_NAME": [["PEÑA", "GARCÍA", "SMITH", "NGUYỄN", "O'BRIEN", "LEE"][i % 6] for i in range(rows)],
        "FIRST_NAME": "ZOË", "DOB": pd.to_datetime(["2010-01-01"] * rows), "SEX": "F", "RACE": "W", "MKE": "EMJ",
        "ORI": "TX2270000", "AGENCY_COUNTY": "Travis", "ENTRY_DATE": days, "MISSING_DATE": days,
        "CLEAR_DATE": pd.Series([pd.NaT, *days[1:]], dtype="datetime64[ns]"),
        "SOURCE_LINE": np.arange(2, 2 + rows, dtype="int64")})


def export_frame(rows: int = 6) -> pd.DataFrame:
    return pd.DataFrame({
        "PERSON_ID": np.arange(1, rows + 1, dtype="int64"), "LAST_NAME": "DE LA CRUZ", "FIRST_NAME": "ANA",
        "MIDDLE_NAME": [None, "MARIE"] * (rows // 2), "DOB": pd.to_datetime(["2010-01-01"] * rows), "SEX": "F",
        "RACE": "WT", "CNTY_NAME": [None, "Travis"] * (rows // 2), "CVS_START": pd.to_datetime(["2020-01-01"] * rows),
        "CVS_END": pd.Series(pd.NaT, index=range(rows), dtype="datetime64[ns]")})


ODD = [None, np.nan, 3, "", "X", "M00000000\u0663", "M0000000001", "m000000001", "EMX", "peña", "PEÑA ", "U", "WTX"]


def mutate(rng: random.Random, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    kind = rng.randrange(8)
    column = rng.choice(list(frame.columns))
    row = rng.randrange(len(frame))
    if kind <= 2:
        values = frame[column].astype(object) if frame[column].dtype == object else frame[column].copy()
        if values.dtype == object:
            values.iloc[row] = rng.choice(ODD)
        elif values.dtype.kind == "M":
            values.iloc[row] = pd.NaT
        else:
            values.iloc[row] = rng.choice([0, 1, -5, values.iloc[(row + 1) % len(frame)]])
        frame[column] = values
    elif kind == 3:
        frame[column] = frame[column].iloc[(row + 1) % len(frame)]  # one value throughout: repeats
    elif kind == 4:
        frame = frame.drop(columns=[column])
    elif kind == 5:
        frame["EXTRA"] = "PEÑA"
    elif kind == 6:
        frame = frame[list(reversed(frame.columns))]
    else:
        frame[column] = frame[column].astype(rng.choice(["int32", "object", "float64"]), errors="ignore")
    return frame


def pandera_failures(schema, frame) -> dict:
    strict = copy.deepcopy(schema)
    strict.coerce = False
    try:
        strict.validate(frame, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases.copy()
        missing = cases["check"] == "column_in_dataframe"  # pandera: under the schema's name; ours: the column's
        cases.loc[missing, "column"] = cases.loc[missing, "failure_case"]
        return {(str(column), str(check)): sorted(int(i) for i in group["index"].dropna())
                for (column, check), group in cases.groupby([cases["column"], cases["check"]])}
    return {}


@pytest.mark.parametrize("schema, good", [(DPS_RESULTS_SCHEMA, results_frame), (EXPORT_SCHEMA, export_frame)])
def test_it_finds_what_pandera_finds_without_converting(schema, good):
    rng = random.Random(4)
    assert frame_failures(schema, good()) == [] and pandera_failures(schema, good()) == {}
    for _ in range(150):
        frame = good()
        for _ in range(rng.choice([1, 1, 2, 3])):
            frame = mutate(rng, frame)
        ours = {(column, check): rows for column, check, _, rows in frame_failures(schema, frame)}
        theirs = pandera_failures(schema, frame)
        assert ours.keys() == theirs.keys(), frame.to_dict("list")
        for (column, check), rows in ours.items():  # a column of another dtype fails as a whole
            assert rows == theirs[column, check] or (check.startswith("dtype(") and not rows), (column, check)


def test_its_error_names_columns_checks_and_rows_never_a_value():
    frame = results_frame()
    frame.loc[3, "NIC"] = "GARCÍA"  # a row shifted: a child's name where the NIC goes
    frame.loc[4, "LAST_NAME"] = None
    frame["MKE"] = frame["MKE"].astype(object)
    frame.loc[5, "MKE"] = "2010-01-01"
    with pytest.raises(FrameValidationError) as raised:
        check_frame(DPS_RESULTS_SCHEMA, frame, "dps_results")
    message = str(raised.value)
    assert message.splitlines() == [
        "dps_results: 3 schema violation(s)",
        "  column LAST_NAME: fails not_nullable (1 case(s)) at row(s) 5",
        "  column MKE: fails isin(['EMJ', 'EME', 'EMI', 'EMD', 'EMV', 'EMO']) (1 case(s)) at row(s) 6",
        "  column NIC: fails str_matches('^M\\d{9}$') (1 case(s)) at row(s) 4"]
    assert raised.value.__context__ is None and raised.value.__cause__ is None


def test_a_million_rows_are_checked_in_bulk():
    # No value is handed to Python on its own (pandera checks a str column so: a call per value):
    # the whole check makes some tens of thousands of calls, whatever the number of rows.
    import sys

    frame = results_frame(6).sample(1_000_000, replace=True, random_state=1).reset_index(drop=True)
    frame["NIC"] = [f"M{i:09d}" for i in range(len(frame))]
    frame["SOURCE_LINE"] = np.arange(2, len(frame) + 2)
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        check_frame(DPS_RESULTS_SCHEMA, frame, "dps_results")
    finally:
        sys.setprofile(None)
    assert calls < 100_000, calls  # pandera: over 8 million
