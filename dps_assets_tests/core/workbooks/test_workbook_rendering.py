"""Issue 11 §2: the reports and end_export.xlsx as a real spreadsheet program prints them.
LibreOffice Calc (headless) renders each workbook to PDF on US Letter once for the module;
poppler's pdfinfo, pdftotext and pdffonts say what the PDF holds: each page is one sheet's (its
name heads the page), data sheets print one page wide with the header row on every page and
every row once, the confidential marking where names or dates of birth are, none elsewhere, the
totals and their chart on one page, and every font the Calibri that the workbooks name (printed
as its metric-compatible Carlito), never a fallback. Issue 19 §3: where each word is printed
(`pdftotext -bbox`) shows that no word prints over another (a wrapped About line over the next
row) and that neighbouring cells of a row print apart ("1 Randall", "2010-03-19 F")."""

import math
import os
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from dps_assets.core.workbooks.layout import CONFIDENTIAL
from dps_assets_tests.core.workbooks.test_workbooks_layout import PERSONAL_SHEETS, write_reports
from dps_assets_tests.support.pdf_words import crowded_cells, overprinted, pdf_words

EVENTS, ENTRIES = 1_500, 600  # IMPACT not in DPS gets some 1,300 rows: many pages
SHEETS = ("IMPACT not in DPS", "DPS not in IMPACT", "Totals", "Export", "Rejected", "About")
CONVERSION_TIMEOUT_S = 300


def pdf_pages(pdf: Path) -> list[str]:
    count = int(re.search(r"^Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout, re.M)[1])
    return [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                           check=True, capture_output=True, text=True).stdout for n in range(1, count + 1)]


def sheet_of(page: str) -> str:
    first_line = next(line for line in page.splitlines() if line.strip()).strip()
    return max((s for s in SHEETS if first_line.startswith(s)), key=len, default=first_line)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rendered")
    workbooks = write_reports(folder, EVENTS, ENTRIES)
    home = folder / "home"  # LibreOffice's profile, away from the user's
    home.mkdir()
    out = folder / "pdf"
    completed = subprocess.run(
        ["soffice", "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(out),
         *map(str, sorted(set(workbooks.values())))],
        env={**os.environ, "HOME": str(home)}, capture_output=True, text=True, timeout=CONVERSION_TIMEOUT_S)
    pages, words = {}, {}
    for path in set(workbooks.values()):
        pdf = out / f"{path.stem}.pdf"
        pages[path.stem] = pdf_pages(pdf) if pdf.exists() else []
        words[path.stem] = pdf_words(pdf) if pdf.exists() else []
    by_sheet = defaultdict(list)
    for texts in pages.values():
        for text in texts:
            by_sheet[sheet_of(text)].append(text)
    return {"completed": completed, "workbooks": workbooks, "pages": pages, "by_sheet": by_sheet, "out": out,
            "words": words}


def test_libreoffice_converts_every_workbook_without_error(rendered):
    completed = rendered["completed"]
    assert completed.returncode == 0, completed.stderr
    assert "error" not in completed.stderr.lower() and "Error" not in completed.stdout
    assert all(rendered["pages"].values()), {stem: len(p) for stem, p in rendered["pages"].items()}
    assert set(rendered["by_sheet"]) == set(SHEETS)  # every page is headed by its sheet's name


def test_a_data_sheet_prints_one_page_wide_with_the_header_row_on_every_page(rendered):
    from openpyxl import load_workbook
    path = rendered["workbooks"]["IMPACT not in DPS"]
    sheet = load_workbook(path, read_only=True)["IMPACT not in DPS"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    rows = sum(1 for _ in sheet.iter_rows(min_row=2))
    pages = rendered["by_sheet"]["IMPACT not in DPS"]
    printed = 0
    for page in pages:
        # No strips: the whole header, first column to last, on one line of every page.
        assert any(all(name in line for name in header) for line in page.splitlines()), page[:300]
        printed += sum(1 for line in page.splitlines() if re.match(r"\s*FY\d{4}-Q\d\s", line))
    assert printed == rows  # every row once
    per_page = sum(1 for line in pages[0].splitlines() if re.match(r"\s*FY\d{4}-Q\d\s", line))
    assert per_page >= 30 and len(pages) == math.ceil(rows / per_page)


def test_the_confidential_marking_prints_on_sheets_with_names_or_dates_of_birth_only(rendered):
    for sheet, pages in rendered["by_sheet"].items():
        for page in pages:
            if sheet in PERSONAL_SHEETS:
                assert CONFIDENTIAL in page, sheet  # whole, on one line
            else:
                assert "Confidential" not in page, sheet
            assert re.search(r"Page \d+ of \d+", page), sheet


def test_the_totals_and_their_chart_print_on_one_page(rendered):
    [page] = rendered["by_sheet"]["Totals"]
    assert "STATEWIDE" in page and "FYTD_TOTAL" in page
    assert re.search(r"DPS runaway events by region, FY\d{4}-Q\d fiscal year to date", page)  # title whole


def test_every_printed_font_is_the_calibri_the_workbooks_name(rendered):
    for pdf in sorted(rendered["out"].glob("*.pdf")):
        listing = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
        fonts = {line.split()[0].split("+")[-1] for line in listing.splitlines()[2:] if line.strip()}
        assert fonts and all(f.startswith("Carlito") for f in fonts), (pdf.name, fonts)


def test_no_word_prints_over_another(rendered):
    for stem, pages in rendered["words"].items():
        for number, words in enumerate(pages, start=1):
            assert len(words) > 10, (stem, number)
            pairs = overprinted(words)
            assert not pairs, (stem, number, [(a.text, b.text) for a, b in pairs[:5]])


def test_neighbouring_cells_of_a_row_print_apart(rendered):
    from openpyxl import load_workbook
    headers = {}
    for path in set(rendered["workbooks"].values()):
        for sheet in load_workbook(path, read_only=True).worksheets:
            headers[sheet.title] = [c.value for c in next(sheet.iter_rows(max_row=1))]
    checked = set()
    for stem, pages in rendered["words"].items():
        for number, (text, words) in enumerate(zip(rendered["pages"][stem], pages, strict=True), start=1):
            sheet = sheet_of(text)
            # The Totals page goes on below STATEWIDE with its chart: no table.
            crowded = crowded_cells(words, headers[sheet], last_row_starts="STATEWIDE" if sheet == "Totals" else None)
            assert not crowded, (stem, number, [(a.text, b.text, gap) for a, b, gap in crowded[:5]])
            checked.add(sheet)
    assert checked == set(SHEETS)
