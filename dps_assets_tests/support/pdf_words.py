"""Where each word of a PDF is printed (poppler's `pdftotext -bbox`), for tests that read a page as
an analyst does: words printed over one another, and neighbouring cells of a table printed so
close that they read as one ("1 Randall" for REGION 1 and Randall; "2010-03-19 F")."""

from __future__ import annotations

import bisect
import html
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
_PAGE_NUMBER = re.compile(r"Page \d+ of \d+")
_SAME_LINE_PT = 2.0  # words whose tops are this close are on one printed line
_OVERPRINT_SHARE = 0.5  # boxes overlapping over half a word's height: one printed over another


@dataclass(frozen=True)
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def pdf_words(pdf: Path) -> list[list[Word]]:
    """The words of each page of `pdf`, in the order pdftotext reads them."""
    listing = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True,
                             text=True).stdout
    return [[Word(float(a), float(b), float(c), float(d), html.unescape(text))
             for a, b, c, d, text in _WORD.findall(page)]
            for page in listing.split("<page ")[1:]]


def overprinted(words: Sequence[Word]) -> list[tuple[Word, Word]]:
    """Pairs of words printed over one another: their boxes share some width and over half the
    height of the shorter (the lines of one wrapped cell touch a little; an overprint does not)."""
    found = []
    ordered = sorted(words, key=lambda w: w.y0)
    for index, word in enumerate(ordered):
        for other in ordered[index + 1:]:
            if other.y0 >= word.y1:
                break
            shared_height = min(word.y1, other.y1) - other.y0
            shared_width = min(word.x1, other.x1) - max(word.x0, other.x0)
            if shared_width > 0.5 and shared_height > _OVERPRINT_SHARE * min(word.height, other.height):
                found.append((word, other))
    return found


def lines(words: Sequence[Word]) -> list[list[Word]]:
    """The page's printed lines, top to bottom, each left to right."""
    found: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.y0, w.x0)):
        if found and abs(found[-1][0].y0 - word.y0) <= _SAME_LINE_PT:
            found[-1].append(word)
        else:
            found.append([word])
    return [sorted(line, key=lambda w: w.x0) for line in found]


def crowded_cells(words: Sequence[Word], header: Sequence[str], last_row_starts: str | None = None,
                  min_gap_share: float = 0.3) -> list[tuple[Word, Word, float]]:
    """Neighbouring words of a table's row that belong to different columns and are printed
    closer than `min_gap_share` of a word's height (a digit is some 0.4 of it): (left word,
    right word, gap in points). The columns start where the header row's names do (the header
    is left-aligned, each name one word); the table's rows are the lines below it, down to the
    one starting with `last_row_starts` (what follows, a chart, is no table) or the page number."""
    page_lines = lines(words)
    header_index = next((i for i, line in enumerate(page_lines) if [w.text for w in line] == list(header)), None)
    if header_index is None:
        raise AssertionError(f"no line of the page is the header {list(header)}")
    edges = [w.x0 for w in page_lines[header_index]]
    found = []
    for line in page_lines[header_index + 1:]:
        if _PAGE_NUMBER.fullmatch(" ".join(w.text for w in line)):
            break
        for left, right in zip(line, line[1:], strict=False):
            columns = (bisect.bisect_right(edges, left.x0 + 1), bisect.bisect_right(edges, right.x0 + 1))
            gap = right.x0 - left.x1
            if columns[0] != columns[1] and gap < min_gap_share * max(left.height, right.height):
                found.append((left, right, round(gap, 2)))
        if last_row_starts is not None and line[0].text == last_row_starts:
            break
    return found
