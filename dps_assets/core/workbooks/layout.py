"""How a workbook looks and prints: its cell formats (Calibri 11 named everywhere, so a
spreadsheet program that substitutes Carlito prints it at the same size; numbers and dates kept
a digit's width in from their cell's right edge, so that in print they never touch the text of
the next column), each sheet's page setup (landscape US Letter, one page wide, header row on every
page, page numbers, and the confidential marking on sheets that hold a child's name or date of
birth), and the document properties (a title and subject that say what the workbook is)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

FONT_NAME = "Calibri"
FONT_SIZE = 11
AUTHOR = "DFPS-DPS exchange pipeline"
CONFIDENTIAL = "Confidential: contains personal information of children in DFPS conservatorship"
# A sheet with any of these columns holds personal information and carries CONFIDENTIAL.
PERSONAL_COLUMNS = frozenset({
    "LAST_NAME", "FIRST_NAME", "MIDDLE_NAME", "NAME", "FULL_NAME", "DOB", "DATE_OF_BIRTH", "BIRTH_DATE",
})

# The document properties' subject, before the quarter.
SUBJECT = "DFPS ⇄ DPS missing-person exchange"
Align = Literal["left"] | None  # None: the spreadsheet's own (text left, numbers right)
# Ends a number format: a space as wide as a digit after the number (Excel's `_0`). Set in the
# number format, not as an indent: LibreOffice prints a right-aligned cell's indent on some rows
# and not on others.
NUMBER_PADDING = "_0"
HEADER_FILL = "#DDEBF7"
BORDER_COLOR = "#808080"
_FOOTER_FONT = f'&"{FONT_NAME},Regular"&9'
_US_LETTER = 1
_MARGINS = {"left": 0.4, "right": 0.4, "top": 0.75, "bottom": 0.75}
_HEADER_FOOTER_MARGIN = {"margin": 0.3}


def holds_personal_information(columns: Iterable[object]) -> bool:
    return any(str(c).strip().upper() in PERSONAL_COLUMNS for c in columns)


class Formats:
    """The workbook's cell formats, each made once: body cells by number format, wrapping and
    totals styling; the header row's own."""

    def __init__(self, workbook: Workbook) -> None:
        self._workbook = workbook
        self._made: dict[tuple[str | None, bool, bool, bool, Align], Format] = {}
        self.header = workbook.add_format({
            "font_name": FONT_NAME, "font_size": FONT_SIZE, "bold": True, "text_wrap": True,
            "valign": "top", "bg_color": HEADER_FILL, "border": 1, "border_color": BORDER_COLOR,
        })

    def body(self, number_format: str | None = None, *, wrap: bool = False, bold: bool = False,
             top_border: bool = False, align: Align = None) -> Format:
        """A body cell's format."""
        key = (number_format, wrap, bold, top_border, align)
        if key not in self._made:
            properties: dict[str, object] = {"font_name": FONT_NAME, "font_size": FONT_SIZE}
            if number_format:
                properties["num_format"] = number_format
            if align:
                properties["align"] = align
            if wrap:
                properties.update(text_wrap=True, valign="top")
            if bold:
                properties["bold"] = True
            if top_border:
                properties.update(top=1, top_color=BORDER_COLOR)
            self._made[key] = self._workbook.add_format(properties)
        return self._made[key]


def padded(number_format: str) -> str:
    """`number_format` followed by a digit's width of space (`NUMBER_PADDING`)."""
    return number_format + NUMBER_PADDING


def set_up_pages(worksheet: Worksheet, *, personal: bool, one_page: bool = False) -> None:
    """Landscape US Letter, one page wide (and one page tall when `one_page`), the header row on
    every printed page, the sheet's name and page numbers, and CONFIDENTIAL when `personal`."""
    worksheet.set_landscape()
    worksheet.set_paper(_US_LETTER)
    worksheet.fit_to_pages(1, 1 if one_page else 0)
    worksheet.repeat_rows(0)
    worksheet.set_margins(**_MARGINS)
    worksheet.set_header(f"&L{_FOOTER_FONT}&A" + (f"&R{_FOOTER_FONT}{CONFIDENTIAL}" if personal else ""),
                         _HEADER_FOOTER_MARGIN)
    worksheet.set_footer(f"&R{_FOOTER_FONT}Page &P of &N", _HEADER_FOOTER_MARGIN)


def set_properties(workbook: Workbook, *, title: str, subject: str, personal: bool) -> None:
    """The document's title and subject (what it is and which quarter: never a child's data),
    and the confidential marking in its comments when it holds a child's name or date of birth."""
    workbook.set_properties({
        "title": title, "subject": subject, "author": AUTHOR, "manager": AUTHOR,
        "company": "Texas Department of Family and Protective Services",
        "comments": CONFIDENTIAL if personal else "", "keywords": "DFPS, DPS, missing persons",
    })
