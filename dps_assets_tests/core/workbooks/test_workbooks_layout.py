"""Issue 11 §2: the workbooks look and print like an agency's own. Read back from the files:
page setup, print titles, headers and footers, the filter's range, the header's style and fonts,
the totals rows set apart, the About sheet, the document properties and the totals chart."""

import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dps_assets.assets.report_kinds import REPORTS
from dps_assets.core.export.workbook import build_export_workbook
from dps_assets.core.workbooks.layout import AUTHOR, CONFIDENTIAL, FONT_NAME, FONT_SIZE
from dps_assets.core.workbooks.writer import About, Sheet, write_workbook
from dps_assets_tests.support.synthetic_reports import QUARTER, export_frames, report_frames

FRAMES = {"impact_not_in_dps_report": "impact_not_in_dps", "dps_not_in_impact_report": "dps_not_in_impact",
          "dps_total_runaway_events_report": "totals"}
PERSONAL_SHEETS = {"IMPACT not in DPS", "DPS not in IMPACT", "Export", "Rejected"}


def write_reports(folder: Path, events: int = 300, entries: int = 150) -> dict[str, Path]:
    """The three reports as the report assets write them, and end_export.xlsx, by sheet name."""
    frames = report_frames(events, entries)
    about = About((("Partition", QUARTER.label), ("Window start", QUARTER.window_start)))
    written = {}
    for kind in REPORTS:
        frame = getattr(frames, FRAMES[kind.name])
        path = folder / f"{kind.file_stem}_{QUARTER.tag}.xlsx"
        write_workbook(path, [Sheet(kind.sheet, frame, chart=kind.chart(frame, QUARTER) if kind.chart else None)],
                       about)
        written[kind.sheet] = path
    sent, rejected = export_frames(200)
    written["Export"] = build_export_workbook(folder / "end_export.xlsx", sent, rejected,
                                              about=[("Partition", QUARTER.label)])
    return written


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, Path]:
    return write_reports(tmp_path_factory.mktemp("workbooks"))


def every_sheet(workbooks):
    for path in sorted(set(workbooks.values())):
        book = load_workbook(path)
        for sheet in book.worksheets:
            yield path, sheet


def test_every_sheet_prints_landscape_on_letter_one_page_wide_with_the_header_row_on_each_page(workbooks):
    seen = set()
    for _, sheet in every_sheet(workbooks):
        seen.add(sheet.title)
        setup = sheet.page_setup
        assert (setup.orientation, setup.paperSize) == ("landscape", 1), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        # One page wide, any number of pages tall (0); the chart's sheet on one page. An absent
        # attribute is the schema's default, 1.
        fit = tuple(1 if v is None else v for v in (setup.fitToWidth, setup.fitToHeight))
        assert fit == (1, 1 if sheet.title == "Totals" else 0), sheet.title
        assert sheet.print_title_rows == "$1:$1", sheet.title
        margins = sheet.page_margins
        assert 0.25 <= min(margins.left, margins.right) and max(margins.top, margins.bottom) <= 1
        assert sheet.freeze_panes == "A2"
        assert "&P" in sheet.oddFooter.right.text and "&N" in sheet.oddFooter.right.text
    assert seen == {"IMPACT not in DPS", "DPS not in IMPACT", "Totals", "Export", "Rejected", "About"}


def test_sheets_with_names_or_dates_of_birth_are_marked_confidential(workbooks):
    for _, sheet in every_sheet(workbooks):
        header = sheet.oddHeader.right.text or ""
        marked = header.endswith(CONFIDENTIAL)
        assert marked == (sheet.title in PERSONAL_SHEETS), sheet.title
        assert "&A" in sheet.oddHeader.left.text  # the sheet's name on each page


def test_the_header_row_is_styled_and_every_cell_names_its_font(workbooks):
    for _, sheet in every_sheet(workbooks):
        for cell in sheet[1]:
            assert cell.font.b and (cell.font.name, cell.font.sz) == (FONT_NAME, FONT_SIZE), sheet.title
            assert cell.fill.fgColor.rgb.endswith("DDEBF7") and cell.alignment.wrap_text
            assert cell.border.bottom.style == cell.border.top.style == "thin"
        for row in sheet.iter_rows(min_row=2, max_row=min(sheet.max_row, 30)):
            for cell in row:
                assert (cell.font.name, cell.font.sz) == (FONT_NAME, FONT_SIZE), (sheet.title, cell.coordinate)


def test_the_filter_covers_the_data_and_statewide_is_set_apart_below_it(workbooks):
    sheet = load_workbook(workbooks["Totals"])["Totals"]
    regions = [c.value for c in sheet["A"][1:]]
    last_region = regions.index("UNKNOWN") + 2  # 1-based row of the last region
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{last_region}"
    assert all(c.value is None for c in sheet[last_region + 1])  # a blank row between
    statewide = sheet[last_region + 2]
    assert statewide[0].value == "STATEWIDE" and sheet.max_row == last_region + 2
    assert all(c.font.b and c.border.top.style == "thin" for c in statewide)
    assert all(not c.font.b for c in sheet[last_region])
    assert [c.value for c in sheet["A"][1:4]] == [1, 2, 3]  # numbers, sorting 1, 2, 3, … 10, 11
    for name in ("IMPACT not in DPS", "Export"):
        data = load_workbook(workbooks[name])[name]
        assert data.auto_filter.ref == f"A1:{data.cell(1, data.max_column).column_letter}{data.max_row}"


def test_the_about_sheet_has_no_filter_and_wraps_its_long_cells(workbooks):
    for path in set(workbooks.values()):
        sheet = load_workbook(path)["About"]
        assert sheet.auto_filter.ref is None
        assert sheet.column_dimensions["B"].width >= 80
        assert all(c.alignment.wrap_text for row in sheet.iter_rows(min_row=2) for c in row)


def test_document_properties_name_the_pipeline_not_the_library(workbooks):
    for sheet_name, path in workbooks.items():
        properties = load_workbook(path).properties
        assert properties.creator == AUTHOR and "openpyxl" not in (properties.lastModifiedBy or "")
        assert properties.title == path.stem and properties.subject.endswith(QUARTER.label)
        assert (properties.description == CONFIDENTIAL) == (sheet_name != "Totals")


def test_the_totals_chart_is_below_the_table_over_the_regions_with_the_year_to_date_labelled(workbooks):
    path = workbooks["Totals"]
    sheet = load_workbook(path)["Totals"]
    regions = [c.value for c in sheet["A"][1:]]
    last_region = regions.index("UNKNOWN") + 2
    with zipfile.ZipFile(path) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
        drawing = archive.read("xl/drawings/drawing1.xml").decode()
    categories = set(re.findall(r"<c:cat>.*?<c:f>(.*?)</c:f>", chart, re.S))
    assert categories == {f"Totals!$A$2:$A${last_region}"}  # never the STATEWIDE row
    names = re.findall(r"<c:tx><c:strRef><c:f>Totals!\$([A-Z])\$1</c:f>", chart)
    assert names == ["B", "C", "D", "E"]  # Q1..Q3, then FYTD_TOTAL
    fytd = chart.split("<c:ser>")[-1]
    assert '<c:showVal val="1"/>' in fytd and chart.count('<c:showVal val="1"/>') == 1
    (first_column, first_row), (last_column, last_row) = (
        (int(c), int(r)) for c, r in re.findall(r"<xdr:col>(\d+)</xdr:col>.*?<xdr:row>(\d+)</xdr:row>", drawing, re.S))
    assert first_column == 0 and first_row > sheet.max_row  # column A, below STATEWIDE: not beside
    # Readable at its default size: at least as wide as the table, and some 19 rows tall.
    assert last_column >= sheet.max_column - 1 and last_row - first_row >= 15
