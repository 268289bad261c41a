"""Plain text out of PDF, HTML and Word files, so they can be indexed and quoted like `.txt` files.

Quotes are cut as `text[start:end]` of what `extract` returns, so that text must be the same for the
same bytes, every time, and must read as prose: paragraphs separated by one blank line, headings on
their own paragraph, no markup. Each result also carries `Mark`s (the page of a PDF, the nearest
heading of a web page or Word file) so an answer can say where in the original a quote stands.

The readers (pypdf, python-docx) are optional: they are imported only when a file of their type is
read, and a missing one is reported as `MissingReader` with the command that installs it.

This module is the API every caller imports, and what the readers share (tidying text, joining
paragraphs, lazy imports); each file type's reader is a module of its own (`pdf`, `html_page`,
`docx_file`), loaded the first time `extract` meets that type.
"""

from __future__ import annotations

import bisect
import importlib
import os
import re
from dataclasses import dataclass
from types import ModuleType
from typing import Iterable

CONVERTED_SUFFIXES: dict[str, str] = {
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".docx": "docx",
}
"""File suffixes (lower case) this module turns into text, and the kind each one is."""

PYPDF_PIN = "pypdf==7.1.1"
PYTHON_DOCX_PIN = "python-docx==1.2.0"
CRYPTOGRAPHY_PIN = "cryptography==50.0.2"
"""What a `MissingReader` message tells the user to install: pypdf and python-docx as tested here;
cryptography (needed only for AES-encrypted PDFs, not installed here) at its release of this writing."""

MAX_DOCX_UNZIPPED_BYTES = 512 * 1024 * 1024
"""A .docx whose parts add up to more than this once unzipped is refused: a zip bomb would otherwise
fill memory before python-docx sees the first paragraph."""

_REASON_CHARS = 160
"""Reasons end up on one line of the rebuild summary: longer library messages are cut."""


@dataclass(frozen=True)
class Mark:
    """Where a location of the original begins in the extracted text."""

    start: int
    """Character offset in `Extracted.text`."""
    label: str
    """"page 2" for a PDF; the heading's text for HTML and .docx."""


@dataclass(frozen=True)
class Extracted:
    """The text to index for one file, and the locations that let a quote cite a page or heading."""

    text: str
    kind: str
    """"pdf", "html" or "docx"."""
    marks: tuple[Mark, ...]
    """Sorted by `start`: one per PDF page with text, one per HTML/.docx heading."""


class ExtractionError(Exception):
    """The file cannot be read as its type; `str(exc)` is a short reason for the rebuild summary."""


class MissingReader(ExtractionError):
    """The optional library for this type is not installed; the message says how to install it."""


def extract(name: str, data: bytes) -> Extracted:
    """The text and location marks of file `name` (its suffix picks the type) holding `data`.

    Raises `ExtractionError` (and nothing else) when the bytes cannot be read as that type."""
    suffix = os.path.splitext(name)[1].lower()
    kind = CONVERTED_SUFFIXES.get(suffix)
    if kind is None:
        raise ExtractionError(f"not a converted file type ({suffix or 'no suffix'})")
    # Imported here, not at the top: the readers import this package's helpers, and a program that
    # never meets a file of a type never loads its reader.
    if kind == "pdf":
        from index.documents.formats.pdf import read
    elif kind == "html":
        from index.documents.formats.html_page import read
    else:
        from index.documents.formats.docx_file import read
    return _assemble(kind, read(bytes(data)))


def location(marks: tuple[Mark, ...], offset: int) -> str | None:
    """The label of the last mark at or before `offset`, or None when `offset` precedes them all."""
    index = bisect.bisect_right(marks, offset, key=lambda mark: mark.start)
    return marks[index - 1].label if index else None


# --- shared by the readers ------------------------------------------------------------------------

Block = tuple[str, "str | None"]
"""A paragraph of the result and the label of the mark that starts with it (None: no mark)."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0]+(?=\n|$)")
_BLANK_LINES = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    """`text` with one kind of line end, no control characters, no trailing spaces and at most one
    blank line in a row: a paragraph break of the result is always exactly "\\n\\n"."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _TRAILING_SPACE.sub("", text)
    return _BLANK_LINES.sub("\n\n", text)


def _assemble(kind: str, blocks: Iterable[Block]) -> Extracted:
    """Join paragraphs with a blank line and record each mark at its paragraph's first character."""
    parts: list[str] = []
    marks: list[Mark] = []
    offset = 0
    for text, label in blocks:
        if not text:
            continue
        if parts:
            offset += 2
        if label is not None:
            marks.append(Mark(offset, label))
        parts.append(text)
        offset += len(text)
    return Extracted("\n\n".join(parts), kind, tuple(marks))


def _require(module: str, pin: str, what: str) -> ModuleType:
    """Import an optional reader only now, so importing this package costs nothing."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingReader(f"install {pin.split('==')[0]} to read {what}: .venv/bin/pip install {pin}") from exc


def _reason(exc: BaseException) -> str:
    """A library error as a few words for the summary line."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    return message if len(message) <= _REASON_CHARS else message[: _REASON_CHARS - 1] + "…"
