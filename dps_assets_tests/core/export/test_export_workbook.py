"""end_export.xlsx (spec §3): Export, Rejected and About, both data sheets formatted like the
reports: styled header, filter over the data, page setup, the confidential marking; the name
columns in the same order on both sheets; DOB a real date; counties spelled as the reports spell
them; the Rejected rows by reason, then name. A workbook that does not fit on the disk leaves
nothing behind."""

import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook

from dps_assets.core.export.counties import with_report_counties
from dps_assets.core.export.workbook import build_export_workbook, rejected_in_order
from dps_assets.core.export.wrangling import ExportSplit
from dps_assets.core.impact.names import county_key
from dps_assets.core.privacy.private_files import PrivateFileError
from dps_assets.core.workbooks.layout import CONFIDENTIAL, FONT_NAME
from dps_assets_tests.support.synthetic_reports import QUARTER, export_frames, lookup


def test_export_and_rejected_sheets_are_formatted_alike_with_names_last_first_middle(tmp_path):
    sent, rejected = export_frames(120)
    assert len(sent) and len(rejected)
    path = build_export_workbook(tmp_path / "end_export.xlsx", sent, rejected,
                                 about=[("Partition", QUARTER.label)])
    book = load_workbook(path)
    assert book.sheetnames == ["Export", "Rejected", "About"]
    headers = {}
    for name, frame in (("Export", sent), ("Rejected", rejected)):
        sheet = book[name]
        headers[name] = [c.value for c in sheet[1]]
        names = [h for h in headers[name] if h.endswith("_NAME") and h != "CNTY_NAME"]
        assert names == ["LAST_NAME", "FIRST_NAME", "MIDDLE_NAME"], name
        assert all(c.font.b and c.font.name == FONT_NAME and c.alignment.wrap_text for c in sheet[1])
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(frame.columns)).column_letter}{len(frame) + 1}"
        assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"
        assert sheet.oddHeader.right.text.endswith(CONFIDENTIAL)
        dob = sheet.cell(2, headers[name].index("DOB") + 1)
        assert dob.is_date and dob.number_format == "m/d/yyyy_0"
    assert headers["Rejected"][:-1] == headers["Export"] and headers["Rejected"][-1] == "REASON"
    assert not book["About"].oddHeader.right.text


@pytest.mark.parametrize("children", [
    300,   # the rows fit; XlsxWriter meets the full disk packing the workbook (its FileCreateError)
    3000,  # the disk fills while the rows are written (an OSError from XlsxWriter's own files)
])
def test_a_workbook_that_does_not_fit_leaves_nothing_and_says_disk_full(small_disk, children, capfd):
    sent, rejected = export_frames(children)
    folder = small_disk / "FY2026_Q3"
    folder.mkdir()
    with pytest.raises(PrivateFileError) as raised:
        build_export_workbook(folder / "end_export.xlsx", sent, rejected, about=[("Partition", QUARTER.label)])
    assert str(raised.value) == f"cannot write end_export.xlsx into {folder}: disk full (ENOSPC)"
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    # No temporary file of ours or of XlsxWriter's is left, nor held open: the space is free
    # again (and the small disk unmounts at the end), and nothing was printed.
    assert list(folder.iterdir()) == []
    assert shutil.disk_usage(small_disk).used == 0
    assert capfd.readouterr() == ("", "")


def test_counties_are_spelled_as_the_reports_spell_them():
    sent, rejected = export_frames(120, report_counties=False)
    assert {"Travis County", "TRAVIS COUNTY "} <= set(sent["CNTY_NAME"]) | set(rejected["CNTY_NAME"])
    sent.loc[0, "CNTY_NAME"] = "  Out   of State "  # the lookup lacks it: tidied, as the reports do
    sent.loc[1, "CNTY_NAME"] = None
    spelled = with_report_counties(ExportSplit(sent, rejected, 3), lookup())
    assert spelled.duplicates_dropped == 3
    for before, after in ((sent, spelled.sent), (rejected, spelled.rejected)):
        assert after.drop(columns="CNTY_NAME").equals(before.drop(columns="CNTY_NAME"))
        assert after.index.equals(before.index)
        assert set(after["CNTY_NAME"].dropna()) - {"Out of State"} <= set(lookup()["CNTY_NAME"])
        assert [county_key(c) for c in after["CNTY_NAME"]] == [county_key(c) for c in before["CNTY_NAME"]]
    assert spelled.sent["CNTY_NAME"].iloc[:2].tolist() == ["Out of State", None]


def test_rejected_rows_are_ordered_by_reason_then_name():
    rejected = pd.DataFrame({
        "PERSON_ID": [1, 2, 3, 4, 5, 6],
        "LAST_NAME": ["zeta", "Peña", None, "PENA", "Adams", "Adams"],
        "FIRST_NAME": ["A", "B", "C", "A", "Bo", "Al"],
        "MIDDLE_NAME": None,
        "REASON": ["DOB is missing", "DOB is missing", "DOB is missing", "DOB is missing",
                   "LAST_NAME is empty after cleaning; DOB is missing", "DOB is missing"],
    })
    ordered = rejected_in_order(rejected.set_index(pd.Index([9, 9, 8, 8, 7, 7])))  # an index of repeats
    # Peña and PENA are one name (as cleaned for sending), then by first name; no name last.
    assert ordered["PERSON_ID"].tolist() == [6, 4, 2, 1, 3, 5]
    assert ordered.index.tolist() == list(range(6))
