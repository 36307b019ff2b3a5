"""The export's counties as the reports spell them (spec §7; `core.impact.regions.county_regions`):
the region lookup's spelling where it has the county (`Montgomery County`, `MONTGOMERY COUNTY `
-> `Montgomery`), else the source's value tidied, so that end_export.xlsx and the reports name a
county alike and a filter on one finds all its rows. Nothing sent to DPS holds a county."""

from __future__ import annotations

import pandas as pd

from dps_assets.core.export.wrangling import ExportSplit
from dps_assets.core.impact.regions import county_regions

COUNTY_COLUMN = "CNTY_NAME"


def with_report_counties(split: ExportSplit, lookup: pd.DataFrame) -> ExportSplit:
    """`split` with the CNTY_NAME of its sent and its rejected rows spelled as the reports spell
    it (once per distinct county); `lookup` is `build_region_lookup`'s."""
    return ExportSplit(sent=_spelled(split.sent, lookup), rejected=_spelled(split.rejected, lookup),
                       duplicates_dropped=split.duplicates_dropped)


def _spelled(frame: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    if COUNTY_COLUMN not in frame.columns:
        return frame
    return frame.assign(**{COUNTY_COLUMN: county_regions(frame[COUNTY_COLUMN], lookup).counties})
