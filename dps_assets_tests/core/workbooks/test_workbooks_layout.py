"""Issues 11 §2 and 19 §2-3: the workbooks look and print like an agency's own. Read back from the
files: page setup, print titles, headers and footers, the filter's range, the header's style and
fonts, the totals rows set apart, US dates and counts with separators (ids without), numbers kept
apart from the next column, the About sheet, the document properties and the totals chart."""

import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dps_assets.assets.report_kinds import REPORTS
from dps_assets.core.export.workbook import build_export_workbook
from dps_assets.core.reconciliation.matching import MATCHING_RULE
from dps_assets.core.reconciliation.reports import count_columns, is_region_totals
from dps_assets.core.workbooks.layout import AUTHOR, CONFIDENTIAL, FONT_NAME, FONT_SIZE
from dps_assets.core.workbooks.writer import About, Sheet, created_item, write_workbook
from dps_assets_tests.support.synthetic_reports import QUARTER, export_frames, report_frames

FRAMES = {"impact_not_in_dps_report": "impact_not_in_dps", "dps_not_in_impact_report": "dps_not_in_impact",
          "dps_total_runaway_events_report": "totals"}
PERSONAL_SHEETS = {"IMPACT not in DPS", "DPS not in IMPACT", "Export", "Rejected"}


CREATED = datetime(2026, 6, 3, 20, 4, 5, tzinfo=UTC)  # 3:04:05 PM in Texas (CDT)


def write_reports(folder: Path, events: int = 300, entries: int = 150) -> dict[str, Path]:
    """The three reports as the report assets write them (their About's lines too), and
    end_export.xlsx, by sheet name."""
    frames = report_frames(events, entries)
    written = {}
    for kind in REPORTS:
        frame = getattr(frames, FRAMES[kind.name])
        path = folder / f"{kind.file_stem}_{QUARTER.tag}.xlsx"
        about = About((
            ("Partition", QUARTER.label), ("Window start", QUARTER.window_start), ("Window end", QUARTER.window_end),
            ("Dfps-missing-person-results.txt SHA-256", "0123456789abcdef" * 4),
            *((f"Rows: {name}", count) for name, count in kind.about_lines(frame).items()),
            ("Match tolerance (days)", 7), ("Matching rule", MATCHING_RULE),
            ("Dagster run", "5f0e6d1c-2b3a-4c5d-8e9f-0a1b2c3d4e5f"), created_item(CREATED)))
        sheet = Sheet(kind.sheet, frame, chart=kind.chart(frame, QUARTER) if kind.chart else None,
                      totals_rows=1 if is_region_totals(frame) else None, count_columns=count_columns(frame))
        write_workbook(path, [sheet], about, title=kind.title)
        written[kind.sheet] = path
    sent, rejected = export_frames(200)
    written["Export"] = build_export_workbook(
        folder / "end_export.xlsx", sent, rejected,
        about=[("Partition", QUARTER.label), ("Window start", QUARTER.window_start),
               ("Window end", QUARTER.window_end), ("Rows sent", len(sent)), ("Rows rejected", len(rejected)),
               ("Text file SHA-256", "fedcba9876543210" * 4), created_item(CREATED)])
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


def test_the_about_sheet_has_no_filter_wraps_its_long_cells_and_gives_them_the_height_they_need(workbooks):
    for path in set(workbooks.values()):
        sheet = load_workbook(path)["About"]
        assert sheet.auto_filter.ref is None
        assert sheet.column_dimensions["B"].width >= 80
        assert all(c.alignment.wrap_text for row in sheet.iter_rows(min_row=2) for c in row)
        # A row whose text wraps (the matching rule) is as tall as its lines; the others keep the
        # default height of one line (not written).
        heights = {row[0].value: sheet.row_dimensions[row[0].row].height for row in sheet.iter_rows(min_row=2)}
        if "Matching rule" in heights:
            assert heights["Matching rule"] >= 30 and heights["Dagster run"] is None


def test_about_values_sit_at_the_left_dates_us_style_counts_separated_created_in_central_time(workbooks):
    sheet = load_workbook(workbooks["Totals"])["About"]
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert all(c.alignment.horizontal == "left" for c in cells.values() if not isinstance(c.value, str))
    assert cells["Window start"].value == datetime(2025, 9, 1) and cells["Window start"].number_format == "m/d/yyyy"
    assert cells["Rows: Statewide runaway events (FYTD)"].number_format == "#,##0"
    assert "Created at (UTC)" not in cells
    created = cells["Created (Central time)"]
    assert created.value == datetime(2026, 6, 3, 15, 4, 5)  # 20:04:05 UTC is 3:04:05 PM CDT
    assert created.number_format == "m/d/yyyy h:mm:ss AM/PM"


def test_counts_have_thousands_separators_ids_do_not_and_numbers_keep_a_digit_from_the_next_column(workbooks):
    totals = load_workbook(workbooks["Totals"])["Totals"]
    assert {c.number_format for row in totals.iter_rows(min_row=2, min_col=2) for c in row if c.value is not None} \
        == {"#,##0_0"}
    assert totals["A2"].value == 1 and totals["A2"].number_format == "0_0"  # a region is a code
    report = load_workbook(workbooks["IMPACT not in DPS"])["IMPACT not in DPS"]
    header = [c.value for c in report[1]]
    second = {name: report.cell(2, index + 1) for index, name in enumerate(header)}
    assert second["PERSON_ID"].number_format == second["RUNAWAY_EVENT_ID"].number_format == "0_0"
    assert second["DOB"].number_format == second["RUNAWAY_DATE"].number_format == "m/d/yyyy_0"
    assert second["LAST_NAME"].number_format == "General"  # text as it is


def test_document_properties_say_what_the_workbook_is_and_name_the_pipeline_not_the_library(workbooks):
    titles = {"IMPACT not in DPS": "IMPACT runaway events not in DPS",
              "DPS not in IMPACT": "DPS missing-person entries not in IMPACT",
              "Totals": "DPS runaway events by region and quarter", "Export": "Children sent to DPS"}
    for sheet_name, path in workbooks.items():
        book = load_workbook(path)
        properties = book.properties
        assert properties.creator == AUTHOR and "openpyxl" not in (properties.lastModifiedBy or "")
        assert properties.title == f"{titles[sheet_name]}, {QUARTER.label}"
        assert properties.subject == f"DFPS ⇄ DPS missing-person exchange, {QUARTER.label}"
        assert (properties.description == CONFIDENTIAL) == (sheet_name != "Totals")
        # No child's data: no name in any property.
        names = {str(c.value) for s in book.worksheets if "LAST_NAME" in [h.value for h in s[1]]
                 for c in s[s[1][[h.value for h in s[1]].index("LAST_NAME")].column_letter][1:] if c.value}
        said = " ".join(str(v) for v in (properties.title, properties.subject, properties.keywords,
                                         properties.description, properties.category) if v)
        assert not any(name in said for name in names), sheet_name


def test_the_totals_chart_is_below_the_table_over_the_regions_with_the_quarters_side_by_side(workbooks):
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
    assert names == ["B", "C", "D"]  # Q1..Q3; FYTD_TOTAL (column E), which adds them up, is not a series
    assert "$E$" not in chart and '<c:showVal val="1"/>' not in chart
    (first_column, first_row), (last_column, last_row) = (
        (int(c), int(r)) for c, r in re.findall(r"<xdr:col>(\d+)</xdr:col>.*?<xdr:row>(\d+)</xdr:row>", drawing, re.S))
    assert first_column == 0 and first_row > sheet.max_row  # column A, below STATEWIDE: not beside
    # Readable at its default size: at least as wide as the table, and some 19 rows tall.
    assert last_column >= sheet.max_column - 1 and last_row - first_row >= 15
