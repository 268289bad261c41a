"""Repairs to a PDF's text layer that make quotes readable and findable, applied to all pages at once.

A PDF keeps the lines of the printed page, not the text an author wrote: words hyphenated at line
ends ("experi-" / "ments"), ligature glyphs ("ﬁ" for "fi"), and running headers and footers (a title
and a page number on every page) that would otherwise sit inside the sentences around them. Each
repair is decided from the document itself, never from a word list:

* ligatures: the presentation forms U+FB00-U+FB06 become their letters (ﬁ -> fi), as NFKC has them;
* running headers and footers: a short line at the top or bottom of a page that carries the page's
  printed number (the numbering is found from the pages themselves: printed number minus position,
  the same on most pages), or that stands word for word at the same edge of half the pages or more;
* hyphenation: a line ending in letter + "-" followed by a line starting with a lower-case letter is
  joined. The hyphen is dropped ("experiments") unless the document writes the hyphenated form
  elsewhere on one line and never the joined one ("well-known" stays). A word broken across a page
  end is completed on the page where it starts, so page citations stay right.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

LIGATURES = {chr(code): unicodedata.normalize("NFKC", chr(code)) for code in range(0xFB00, 0xFB07)}
_LIGATURE = re.compile("[" + "".join(LIGATURES) + "]")
_NUMBER = re.compile(r"(?<![\d.,])\d{1,4}(?![\d,]|\.\d)")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_BROKEN_END = re.compile(r"([^\W\d_]+)-$")
_CONTINUED_START = re.compile(r"^([^\W\d_]+)(.*)$", re.S)
MAX_RUNNING_LINE_CHARS = 120
"""A running header or footer is a short line; a longer one repeated at a page edge is kept."""
EDGE_LINES = 2
"""How many non-empty lines at the top and at the bottom of a page may be running headers/footers."""


def repair(pages: list[str]) -> list[str]:
    """The pages' text with ligatures spelled out, running headers and footers removed, and words
    hyphenated at line ends joined; one string per page, in the same order."""
    lines = [_LIGATURE.sub(lambda m: LIGATURES[m.group()], page).split("\n") for page in pages]
    lines = _without_running_lines(lines)
    vocabulary = _vocabulary(lines)
    return ["\n".join(page).strip() for page in _dehyphenated(lines, vocabulary)]


def _edge_indexes(page: list[str]) -> list[tuple[str, int]]:
    """("top", i) / ("bottom", i) for the first and last EDGE_LINES non-empty, short lines of a page."""
    filled = [i for i, line in enumerate(page) if line.strip()]
    return [(edge, i) for edge, indexes in (("top", filled[:EDGE_LINES]), ("bottom", filled[-EDGE_LINES:]))
            for i in indexes if len(page[i].strip()) <= MAX_RUNNING_LINE_CHARS]


def _numbering_offset(pages: list[list[str]]) -> int | None:
    """The printed page number minus the page's position, when edge lines carry page numbers: the
    offset shared by most pages (at least two, and a third of them), else None."""
    offsets: Counter[int] = Counter()
    for position, page in enumerate(pages):
        numbers = {int(n) for _, i in _edge_indexes(page) for n in _NUMBER.findall(page[i])}
        offsets.update({n - position for n in numbers})
    if not offsets:
        return None
    offset, count = offsets.most_common(1)[0]
    return offset if count >= max(2, len(pages) / 3) else None


def _without_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Pages without their running headers and footers: edge lines carrying the page's own printed
    number (the document's numbering, found above), and edge lines repeated word for word at the same
    edge of at least half the pages."""
    if len(pages) < 2:
        return pages
    offset = _numbering_offset(pages)
    repeated: Counter[tuple[str, str]] = Counter()
    for page in pages:
        repeated.update({(edge, " ".join(page[i].split())) for edge, i in _edge_indexes(page)})
    cleaned = []
    for position, page in enumerate(pages):
        drop = set()
        for edge, i in _edge_indexes(page):
            numbered = offset is not None and str(position + offset) in _NUMBER.findall(page[i])
            if numbered or repeated[(edge, " ".join(page[i].split()))] >= max(2, len(pages) / 2):
                drop.add(i)
        cleaned.append([line for i, line in enumerate(page) if i not in drop])
    return cleaned


def _vocabulary(pages: list[list[str]]) -> Counter[str]:
    """Words as the document writes them inside lines (lower case), hyphenated compounds included."""
    words: Counter[str] = Counter()
    for page in pages:
        for line in page:
            body = line[:-1] if line.endswith("-") else line
            words.update(word.lower() for word in _WORD.findall(body))
    return words


def _joined(left: str, right: str, vocabulary: Counter[str]) -> str:
    """The two fragments of a word broken at a line end: with the hyphen only when the document
    writes that compound with one and never without."""
    whole, compound = (left + right).lower(), f"{left}-{right}".lower()
    keep_hyphen = vocabulary[compound] > 0 and vocabulary[whole] == 0
    return f"{left}-{right}" if keep_hyphen else left + right


def _dehyphenated(pages: list[list[str]], vocabulary: Counter[str]) -> list[list[str]]:
    pages = [list(page) for page in pages]
    filled = [(p, i) for p, page in enumerate(pages) for i, line in enumerate(page) if line.strip()]
    emptied: set[tuple[int, int]] = set()
    for (p, i), (q, j) in zip(filled, filled[1:]):
        line, following = pages[p][i].rstrip(), pages[q][j].lstrip()
        broken = _BROKEN_END.search(line)
        continued = _CONTINUED_START.match(following)
        if not broken or not continued or not continued.group(1)[0].islower():
            continue
        pages[p][i] = line[: broken.start()] + _joined(broken.group(1), continued.group(1), vocabulary)
        pages[q][j] = continued.group(2).lstrip()
        if not pages[q][j]:
            emptied.add((q, j))
    return [[line for i, line in enumerate(page) if (p, i) not in emptied] for p, page in enumerate(pages)]
