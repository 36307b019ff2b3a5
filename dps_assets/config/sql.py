"""The `sql` section: the queries the warehouse runs, as configured, and the named binds each
is given when it runs (`:window_start`). A query that lacks one of its binds, or uses one it is
not given, is refused when the configuration loads rather than when a quarter runs."""

from __future__ import annotations

import re

from pydantic import ValidationInfo, field_validator

from dps_assets.config.section import Section

# An Oracle named bind (`:window_end`), not inside a quoted literal or a comment, not a `::` cast.
BIND = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|--[^\n]*|/\*.*?\*/|(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)",
                  re.DOTALL)
# The binds each query is given (resources/database.py), by key.
GIVEN_BINDS = {"export": ("window_start", "window_end"), "sa_98": ("fy_start_dt", "fy_end_dt"),
               "county_region": ()}


def bind_names(sql: str) -> set[str]:
    return {m.group(1) for m in BIND.finditer(sql) if m.group(1)}


class SqlConfig(Section):
    export: str
    sa_98: str
    county_region: str

    @field_validator("export", "sa_98", "county_region")
    @classmethod
    def _binds_it_is_given(cls, sql: str, info: ValidationInfo) -> str:
        assert info.field_name is not None  # a field validator's
        given = GIVEN_BINDS[info.field_name]
        used = bind_names(sql)
        named = " and ".join(f":{name}" for name in given) or "no binds"
        missing = [f":{name}" for name in given if name not in used]
        if missing:  # outside quotes and comments, as the driver sees them
            raise ValueError(f"lacks the bind(s) {', '.join(missing)}: the query is given {named}")
        if used - set(given):  # the names are the file's text: counted, not repeated
            raise ValueError(f"uses {len(used - set(given))} bind(s) it is not given: the query is given {named}")
        return sql
