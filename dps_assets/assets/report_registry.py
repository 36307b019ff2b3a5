"""What a quarterly report is, described once: `ReportKind`. Each report is one module of the
`report_kinds` package that defines `REPORT = ReportKind(...)`; `reports_in(package)` lists them.
The report assets (`assets.reports.report_asset`) and the delivery's inputs, attachments and
email lines (`assets.report_delivery.report_delivery_asset`) are built from that list, so a new
report is one new module in `report_kinds/`."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType

import pandas as pd
from dagster import MetadataValue

from dps_assets.assets.common import Metadata, markdown_table
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.impact.regions import region_order
from dps_assets.core.reconciliation.reports import is_region_totals
from dps_assets.core.workbooks.writer import BarChartSpec

# The module-level name a report module gives its ReportKind.
REPORT_ATTRIBUTE = "REPORT"


@dataclass(frozen=True)
class ReportKind:
    """One quarterly report: the asset that writes `<file_stem>_FYyyyy_Qn.xlsx`, one data sheet
    `sheet` (then About), made by `frame` from the assets named in `inputs`."""

    name: str  # the asset's name (its key)
    file_stem: str  # the workbook is `<file_stem>_<quarter tag>.xlsx`
    sheet: str  # the data sheet's name
    rows_are: str  # what the sheet's rows are, in plain words (the asset's description says it)
    inputs: tuple[str, ...]  # the upstream assets `frame` is made from
    # The pure frame function, called with `quarter=` and one keyword argument per input.
    frame: Callable[..., pd.DataFrame]
    position: int  # where the report comes in the email (its line and attachment) and the UI
    # The report's own lines for the About sheet's `Rows: ...`; by default the sheet's rows.
    about_rows: Callable[[pd.DataFrame], Mapping[str, int]] | None = None
    # Extra metadata on the asset's materialisation (counts only, never a value from the rows).
    metadata: Callable[[pd.DataFrame], Metadata] | None = None
    chart: Callable[[pd.DataFrame, FiscalQuarter], BarChartSpec] | None = None
    # What the workbook is, in words, for its document title (then the quarter); by default `sheet`.
    title: str = ""

    def __post_init__(self) -> None:
        # A frame function that does not take the declared inputs fails here, at import, not in a run.
        try:
            inspect.signature(self.frame).bind(quarter=None, **dict.fromkeys(self.inputs))
        except TypeError as exc:
            raise TypeError(f"report {self.name}: its frame function does not take quarter= and "
                            f"the inputs {self.inputs}: {exc}") from None

    @property
    def description(self) -> str:
        """What the report lists, then the workbook analysts receive (named for an example quarter)."""
        example = FiscalQuarter(2026, 3)
        return (f"{self.rows_are.strip().rstrip('.')}. One workbook a quarter, attached to the quarter's "
                f"email: for {example.label}, {self.file_stem}_{example.tag}.xlsx.")

    def about_lines(self, frame: pd.DataFrame) -> Mapping[str, int]:
        return self.about_rows(frame) if self.about_rows else {self.sheet: len(frame)}

    def extra_metadata(self, frame: pd.DataFrame) -> Metadata:
        """The report's own metadata; a table of counts by region also shows itself (Markdown)."""
        return {**region_totals(frame), **(self.metadata(frame) if self.metadata else {})}


def rows_by_region(frame: pd.DataFrame) -> Metadata:
    """Metadata for a report listing rows by REGION: how many rows each region has, as a small
    Markdown table in the regions' natural order (counts only)."""
    counts = frame.groupby("REGION", sort=False).size()
    table = pd.DataFrame({"REGION": counts.index, "ROWS": counts.to_numpy()})
    ordered = table.iloc[region_order(table["REGION"]).argsort(kind="stable")]
    return {"rows_by_region": MetadataValue.md(markdown_table(ordered))}


def region_totals(frame: pd.DataFrame) -> Metadata:
    """Metadata for a table of counts by region (`core.reconciliation.reports.is_region_totals`):
    the table itself, in Markdown."""
    return {"region_totals": MetadataValue.md(markdown_table(frame))} if is_region_totals(frame) else {}


def reports_in(package: ModuleType) -> Sequence[ReportKind]:
    """The `REPORT` of every module directly in `package`, by position (then name). A module
    without one is an error: every module of a report package is a report."""
    found = []
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        report = getattr(module, REPORT_ATTRIBUTE, None)
        if not isinstance(report, ReportKind):
            raise TypeError(f"{module.__name__} defines no {REPORT_ATTRIBUTE} = ReportKind(...)")
        found.append(report)
    found.sort(key=lambda r: (r.position, r.name))
    return tuple(check_distinct(found))


def check_distinct(reports: Sequence[ReportKind]) -> Sequence[ReportKind]:
    """`reports`, if no two share an asset name or a file stem (one would overwrite the other)."""
    for attribute in ("name", "file_stem"):
        values = [getattr(r, attribute) for r in reports]
        if len(set(values)) != len(values):
            raise ValueError(f"two reports share a {attribute}: {sorted(values)}")
    return reports
