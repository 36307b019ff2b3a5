"""The `sql` section: the queries the warehouse runs, as configured."""

from __future__ import annotations

from dps_assets.config.section import Section


class SqlConfig(Section):
    export: str
    sa_98: str
    county_region: str
