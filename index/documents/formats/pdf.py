"""The PDF reader: a PDF's text layer, one paragraph per page, through pypdf.

Kept apart from the other readers because it alone depends on pypdf (imported only when a PDF is
read) and has PDF's own failures to name: encryption, a missing text layer, a damaged file.
"""

from __future__ import annotations

import io
import re

from index.documents.formats import (
    CRYPTOGRAPHY_PIN,
    PYPDF_PIN,
    Block,
    ExtractionError,
    MissingReader,
    _reason,
    _require,
    _tidy,
)
from index.documents.formats.pdf_layout import repair

_WORD = re.compile(r"\w")
_ENCRYPTED = "encrypted PDF (no password): remove the password or export it again"


def read(data: bytes) -> list[Block]:
    """One paragraph per page with text, marked "page N": pypdf's text layer as it lays it out, with
    filled-in form fields after it, and ligatures, running headers and footers and line-end hyphens
    repaired (`pdf_layout`)."""
    pypdf = _require("pypdf", PYPDF_PIN, ".pdf files")
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            _unlock(reader)
        texts = repair([_tidy(_with_fields(page.extract_text() or "", page)) for page in reader.pages])
        pages = [(text, f"page {number}") for number, text in enumerate(texts, start=1)]
    except ExtractionError:
        raise
    except DependencyError as exc:  # AES encryption needs the `cryptography` package
        raise MissingReader(f"install cryptography to read AES-encrypted .pdf files: "
                            f".venv/bin/pip install {CRYPTOGRAPHY_PIN}") from exc
    except FileNotDecryptedError as exc:
        raise ExtractionError(_ENCRYPTED) from exc
    except PdfReadError as exc:
        raise ExtractionError(f"not a readable PDF ({_reason(exc)})") from exc
    except Exception as exc:  # pypdf on a damaged file can fail anywhere: none of it may escape
        raise ExtractionError(f"not a readable PDF ({type(exc).__name__}: {_reason(exc)})") from exc
    if not any(_WORD.search(text) for text, _ in pages):
        raise ExtractionError("PDF without a text layer (scanned images?): run OCR on it first")
    return [(text, label) for text, label in pages if text]


def _with_fields(text: str, page: object) -> str:
    """The page's text, then one "Name: value" line per filled-in text or choice field on it: a filled
    form keeps its answers in form fields, which the text layer does not show."""
    lines = []
    for annotation in page.get("/Annots") or ():  # type: ignore[attr-defined]
        widget = annotation.get_object()
        if widget.get("/Subtype") != "/Widget":
            continue
        parent = widget.get("/Parent")
        parent = parent.get_object() if parent is not None else {}
        kind = widget.get("/FT") or parent.get("/FT")
        name, value = widget.get("/T") or parent.get("/T"), widget.get("/V") or parent.get("/V")
        if kind in ("/Tx", "/Ch") and name and isinstance(value, str) and value.strip():
            lines.append(f"{' '.join(str(name).split())}: {value.strip()}")
    return "\n".join([text.rstrip(), *lines]) if lines else text


def _unlock(reader: object) -> None:
    """Open a PDF that is encrypted only against editing (it opens without a password)."""
    if not reader.decrypt(""):  # type: ignore[attr-defined]  # PasswordType.NOT_DECRYPTED is 0
        raise ExtractionError(_ENCRYPTED)
