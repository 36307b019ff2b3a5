"""The Dagster type of a frame an asset hands on, checked once and safely.

It is dagster-pandera's type for the frame's pandera schema (its name, description and the table
schema the UI shows), with `core.schemas.check_frame` as its check instead of pandera's
`validate`: the asset does not validate the frame itself, so this check is its one validation,
and it runs column by column in bulk. dagster-pandera's own check would put pandera's error text,
which quotes the failing values, into Dagster's event log; this one fails with our
FrameValidationError (columns, checks and rows, never values), and an unexpected error in it
with a StepFailed naming only the error's class (`core.privacy.step_failures`). Either is raised
rather than returned as a failed TypeCheck, so that the run's failure, and the alert made from
it, name our error."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from dagster import DagsterType, TypeCheck, TypeCheckContext
from dagster_pandera import pandera_schema_to_dagster_type

from dps_assets.core.privacy.step_failures import recordable_failure
from dps_assets.core.schemas import check_frame


def checked_frame_type(schema: pa.DataFrameSchema, what: str) -> DagsterType:
    """The type of a frame `schema` describes; `what` names the frame in a failure's message."""
    shown = pandera_schema_to_dagster_type(schema)

    def type_check(_context: TypeCheckContext, value: object) -> TypeCheck:
        if not isinstance(value, pd.DataFrame):
            return TypeCheck(success=False, description=f"{what}: a pandas DataFrame was expected, "
                             f"not {type(value).__name__}")
        failure = None
        try:
            check_frame(schema, value, what)
        except Exception as exc:  # noqa: BLE001 - whatever the check raised is turned into our own error
            failure = recordable_failure(f"{what} (its type check)", exc)
        if failure is not None:  # raised here, not in the except block, so with no context
            raise failure
        return TypeCheck(success=True)

    return DagsterType(type_check_fn=type_check, name=shown.unique_name, description=shown.description,
                       metadata=shown.metadata, typing_type=pd.DataFrame)
