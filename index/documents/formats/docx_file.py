"""The Word reader: a .docx file's paragraphs and table cells in reading order, through python-docx.

Kept apart from the other readers because it alone depends on python-docx (imported only when a
.docx is read) and guards against what only a zip archive can do: unzip to fill memory. Named
`docx_file`, not `docx`, so that it can never be mistaken for the python-docx package.
"""

from __future__ import annotations

import io
import zipfile
from typing import Iterable, Iterator

from index.documents.formats import (
    MAX_DOCX_UNZIPPED_BYTES,
    PYTHON_DOCX_PIN,
    Block,
    ExtractionError,
    _reason,
    _require,
    _tidy,
)


def read(data: bytes) -> list[Block]:
    """The body's paragraphs in order, table cells row by row; heading styles become marks."""
    docx = _require("docx", PYTHON_DOCX_PIN, ".docx files")
    _check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
        styles = _StyleNames()
        return [_docx_block(paragraph, styles) for paragraph in _docx_paragraphs(document.iter_inner_content())]
    except Exception as exc:  # python-docx, lxml and zipfile each have their own errors
        raise ExtractionError(f"not a valid .docx file ({type(exc).__name__}: {_reason(exc)})") from exc


def _check_zip(data: bytes) -> None:
    """Refuse what is not a zip archive, or unzips to a size that would fill memory."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except Exception as exc:
        raise ExtractionError(f"not a valid .docx file (not a zip archive: {_reason(exc)})") from exc
    if unzipped > MAX_DOCX_UNZIPPED_BYTES:
        raise ExtractionError(f"not a valid .docx file (unzips to {unzipped // 2**20} MiB)")


def _docx_paragraphs(items: Iterable[object]) -> Iterator[object]:
    """Paragraphs in reading order, descending into tables (and tables inside cells)."""
    for item in items:
        rows = getattr(item, "rows", None)
        if rows is None:
            yield item
            continue
        seen: set[object] = set()  # a merged cell is listed once per grid column (and row) it spans
        for row in rows:
            for cell in row.cells:
                if cell._tc not in seen:
                    seen.add(cell._tc)
                    yield from _docx_paragraphs(cell.iter_inner_content())


class _StyleNames(dict[str | None, str]):
    """Paragraph style names by style id: python-docx searches the styles part again for every
    paragraph's `.style` (about a millisecond each), so each id is looked up once."""

    def of(self, paragraph: object) -> str:
        style_id = paragraph._p.style  # type: ignore[attr-defined]  # None: the default style
        if style_id not in self:
            self[style_id] = getattr(paragraph.style, "name", None) or ""  # type: ignore[attr-defined]
        return self[style_id]


def _docx_block(paragraph: object, styles: _StyleNames) -> Block:
    """A paragraph's text, and itself as the label when its style makes it a heading."""
    text = _tidy(paragraph.text).strip()  # type: ignore[attr-defined]
    style = styles.of(paragraph)
    heading = style.startswith("Heading") or style == "Title"
    return text, (" ".join(text.split()) if heading and text else None)
