"""PDF, HTML and .docx files become quotable prose with page and heading marks, and a bad file is an
`ExtractionError`, never a traceback. Every file here is made by the test itself."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.documents.formats import (
    CONVERTED_SUFFIXES,
    Extracted,
    ExtractionError,
    Mark,
    MissingReader,
    extract,
    location,
)

PAGE_ONE = "Refunds are paid within fourteen days."
PAGE_TWO = "Support is open on weekdays from nine to five."


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF: one Helvetica line per page ("" makes a page with an empty content
    stream), objects written by hand with a correct xref table (pypdf cannot lay out text)."""
    count = len(pages)
    kids = " ".join(f"{4 + 2 * index} 0 R" for index in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for index, text in enumerate(pages):
        content = _text_operators(text)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * index} 0 R "
                       f"/Resources << /Font << /F1 3 0 R >> >> >>".encode())
        objects.append(f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream")
    return _pdf_file(objects)


def _text_operators(text: str) -> bytes:
    if not text:
        return b""
    lines = []
    for line in text.split("\n"):  # one text line per line of `text`, 14 points apart
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        lines.append(f"({escaped}) Tj 0 -14 Td")
    return f"BT /F1 12 Tf 72 720 Td {' '.join(lines)} ET".encode("latin-1")


def _pdf_file(objects: list[bytes]) -> bytes:
    """Header, numbered objects, xref table with each object's byte offset, trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode() + b"0000000000 65535 f \n"
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def encrypted(pdf: bytes, user_password: str) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.encrypt(user_password=user_password, owner_password="owner-secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- PDF ------------------------------------------------------------------------------------------


def test_pdf_pages_become_paragraphs_with_page_marks() -> None:
    result = extract("Guide.PDF", make_pdf([PAGE_ONE, PAGE_TWO]))

    assert result.kind == "pdf"
    assert result.text == f"{PAGE_ONE}\n\n{PAGE_TWO}"
    assert result.marks == (Mark(0, "page 1"), Mark(len(PAGE_ONE) + 2, "page 2"))
    inside_page_two = result.text.index("weekdays")
    assert location(result.marks, inside_page_two) == "page 2"
    assert location(result.marks, 3) == "page 1"


def test_pdf_words_hyphenated_at_line_ends_are_joined_and_running_lines_dropped() -> None:
    """A printed page as a PDF keeps it: a running header and a page number on every page, words
    broken at line ends, one of them across the page end. Quotes must read (and be found) whole."""
    pages = [
        "Staff Handbook 2024\nNew employees receive their equip-\nment on the first day. The well-\nknown rule: badges are worn at all\ntimes, and the orienta-\n1",
        "Staff Handbook 2024\ntion session lasts two hours. A well-known exception is the\nwarehouse.\n2",
    ]
    result = extract("handbook.pdf", make_pdf(pages))

    assert "Staff Handbook" not in result.text and not re.search(r"(?m)^\d+$", result.text)
    assert "equipment on the first day" in " ".join(result.text.split())
    assert "The well-known rule" in " ".join(result.text.split()), "a compound the document writes with a hyphen keeps it"
    assert "orientation" in result.text
    # The word broken across the page end is completed where it starts; page two starts after it.
    assert location(result.marks, result.text.index("orientation")) == "page 1"
    assert location(result.marks, result.text.index("session lasts")) == "page 2"


def test_pdf_repair_spells_out_ligatures_and_keeps_ordinary_lines() -> None:
    from index.documents.formats.pdf_layout import repair

    assert repair(["The o\ufb03cial \ufb01gures re\ufb02ect the e\ufb00ort."]) == ["The official figures reflect the effort."]
    # One page: nothing repeats, so no line is taken for a header; a capitalised next line is no continuation.
    page = "Results\nThe test was run in Berlin-\nBrandenburg and a pre-\nliminary report followed."
    assert repair([page]) == ["Results\nThe test was run in Berlin-\nBrandenburg and a preliminary\nreport followed."]


def test_pdf_page_numbers_count_pages_without_text() -> None:
    result = extract("x.pdf", make_pdf(["", PAGE_TWO]))

    assert result.text == PAGE_TWO
    assert result.marks == (Mark(0, "page 2"),)


def test_pdf_with_a_user_password_is_refused_as_encrypted() -> None:
    with pytest.raises(ExtractionError, match="encrypted"):
        extract("x.pdf", encrypted(make_pdf([PAGE_ONE]), user_password="secret"))


def test_pdf_locked_only_against_editing_is_read() -> None:
    result = extract("x.pdf", encrypted(make_pdf([PAGE_ONE]), user_password=""))

    assert result.text == PAGE_ONE


def test_pdf_without_text_asks_for_ocr() -> None:
    with pytest.raises(ExtractionError, match="text layer"):
        extract("x.pdf", make_pdf(["", ""]))


def test_aes_pdf_without_cryptography_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import pypdf
    from pypdf.errors import DependencyError

    def needs_cryptography(self: object, password: str) -> None:
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(pypdf.PdfReader, "decrypt", needs_cryptography)
    with pytest.raises(MissingReader, match="install cryptography"):
        extract("x.pdf", encrypted(make_pdf([PAGE_ONE]), user_password=""))


def test_missing_pypdf_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypdf", None)  # `import pypdf` now raises ImportError

    with pytest.raises(MissingReader, match=r"install pypdf .*pip install pypdf==\d"):
        extract("x.pdf", make_pdf([PAGE_ONE]))


def test_missing_python_docx_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "docx", None)

    with pytest.raises(MissingReader, match=r"pip install python-docx==\d"):
        extract("x.docx", b"PK")


# --- HTML -----------------------------------------------------------------------------------------

PAGE = b"""<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">
<title>Acme Docs</title>
<style>.menu { color: red } body { font-family: sans-serif }</style>
<script>var banner = "This sentence lives in a script.";</script>
</head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/pricing">Pricing menu</a></li></ul></nav>
<main>
  <h1>Caf\xe9 setup guide</h1>
  <p>Welcome to the guide.
     It explains   everything.</p>
  <p>Tea &amp; coffee are free.</p>
  <h2>Installing on Linux</h2>
  <p>Download the package first.</p>
  <ul><li>Open a terminal<li>Run <code>make install</code></ul>
  <pre>
$ make
$   make install
</pre>
  <p hidden>Secret hidden paragraph.</p>
</main>
<footer><p>We use cookies to improve your experience.</p></footer>
</body></html>"""


def test_html_keeps_the_main_content_as_paragraphs() -> None:
    result = extract("guide.html", PAGE)

    assert result.kind == "html"
    assert result.text.split("\n\n") == [
        "Café setup guide",
        "Welcome to the guide. It explains everything.",
        "Tea & coffee are free.",
        "Installing on Linux",
        "Download the package first.",
        "- Open a terminal",
        "- Run make install",
        "$ make\n$   make install",
    ]


def test_html_drops_chrome_code_and_hidden_text() -> None:
    text = extract("guide.html", PAGE).text

    for absent in ("Pricing menu", "Home", "script", "font-family", "cookies", "Secret", "Acme Docs"):
        assert absent not in text


def test_html_headings_are_marks() -> None:
    result = extract("guide.htm", PAGE)

    assert [mark.label for mark in result.marks] == ["Café setup guide", "Installing on Linux"]
    for mark in result.marks:
        assert result.text[mark.start:].startswith(mark.label)
    assert location(result.marks, result.text.index("Download")) == "Installing on Linux"
    assert location(result.marks, result.text.index("Tea")) == "Café setup guide"


def test_html_meta_charset_and_utf8_default() -> None:
    meta = extract("a.html", b'<meta charset="windows-1252"><p>Caf\xe9</p>').text
    utf8 = extract("b.html", "<p>Café – ok</p>".encode()).text
    bom = extract("c.html", b"\xef\xbb\xbf<p>Caf\xc3\xa9</p>").text
    fallback = extract("d.html", b"<p>Caf\xe9 \x93quoted\x94</p>").text

    assert (meta, utf8, bom, fallback) == ("Café", "Café – ok", "Café", "Café “quoted”")


def test_html_title_names_the_text_before_the_first_heading_without_an_h1() -> None:
    """The <title> is a label (a quote's section), not article text: readability's test pages count
    it as boilerplate, and it is often only the site's name."""
    result = extract("notes.xhtml", b"<title>Release notes</title><body><p>Faster builds.</p><h2>Version 2</h2><p>Faster.</p>")

    assert result.text == "Faster builds.\n\nVersion 2\n\nFaster."
    assert [mark.label for mark in result.marks] == ["Release notes", "Version 2"]
    with_h1 = extract("n.html", b"<title>Site | Notes</title><p>Intro.</p><h1>Notes</h1><p>Body.</p>")
    assert [mark.label for mark in with_h1.marks] == ["Notes"]


def test_html_without_main_keeps_only_the_article() -> None:
    page = b"<div>Sidebar promo</div><article><header><h1>Post</h1></header><p>Body text.</p></article>"

    assert extract("p.html", page).text == "Post\n\nBody text."


def test_html_role_main_and_table_rows() -> None:
    page = (b"<div>Outside</div><div role=main><table><tr><th>OS<th>Version"
            b"<tr><td>Linux<td>3.11</table></div>")

    assert extract("t.html", page).text == "OS | Version\n\nLinux | 3.11"


def test_html_unclosed_items_do_not_hide_their_siblings() -> None:
    page = b"<ul><li hidden>gone<li>kept</ul><p aria-hidden=true>gone<p>also kept"

    assert extract("l.html", page).text == "- kept\n\nalso kept"


# --- .docx ----------------------------------------------------------------------------------------


def make_docx() -> bytes:
    from docx import Document

    document = Document()
    document.add_heading("Staff handbook", level=0)
    document.add_paragraph("This handbook covers leave and expenses.")
    document.add_heading("Leave", level=1)
    document.add_paragraph("Everyone gets twenty-five days of leave.")
    document.add_paragraph("")
    document.add_heading("Carrying over", level=2)
    document.add_paragraph("Five unused days carry over to next year.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Item"
    table.cell(0, 1).text = "Limit"
    table.cell(1, 0).text = "Train tickets are refunded in full."
    table.cell(1, 1).text = "No limit"
    merged = document.add_table(rows=1, cols=2)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "A merged cell is read once."
    document.add_paragraph("Questions go to the office.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_paragraphs_headings_and_tables() -> None:
    result = extract("handbook.docx", make_docx())

    assert result.kind == "docx"
    assert result.text.split("\n\n") == [
        "Staff handbook",
        "This handbook covers leave and expenses.",
        "Leave",
        "Everyone gets twenty-five days of leave.",
        "Carrying over",
        "Five unused days carry over to next year.",
        "Item",
        "Limit",
        "Train tickets are refunded in full.",
        "No limit",
        "A merged cell is read once.",
        "Questions go to the office.",
    ]
    assert [mark.label for mark in result.marks] == ["Staff handbook", "Leave", "Carrying over"]
    for mark in result.marks:
        assert result.text[mark.start:].startswith(mark.label)
    assert location(result.marks, result.text.index("twenty-five")) == "Leave"
    assert location(result.marks, result.text.index("Train tickets")) == "Carrying over"


# --- bad input and determinism --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x.pdf", "x.docx", "x.DOCX"])
@pytest.mark.parametrize("data", [b"", b"garbage bytes \x00\xff" * 20, b"%PDF-1.7\n1 0 obj <<", b"PK\x03\x04junk"])
def test_garbage_is_an_extraction_error(name: str, data: bytes) -> None:
    with pytest.raises(ExtractionError):
        extract(name, data)


def test_unknown_suffix_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError, match="not a converted file type"):
        extract("notes.odt", b"data")


def check_result(result: Extracted) -> None:
    """What the engine relies on: prose paragraphs, sorted marks inside the text."""
    assert "\n\n\n" not in result.text
    assert result.text == result.text.strip("\n")
    assert all(paragraph.strip() for paragraph in result.text.split("\n\n")) or not result.text
    starts = [mark.start for mark in result.marks]
    assert starts == sorted(starts)
    assert all(0 <= start < max(len(result.text), 1) for start in starts)
    if result.kind != "pdf":  # a heading's mark starts with it; the page title may name the first paragraph
        assert all(result.text[mark.start:].startswith(mark.label) for mark in result.marks[1:])


def extract_or_error(name: str, data: bytes) -> None:
    try:
        result = extract(name, data)
    except ExtractionError:
        return
    check_result(result)


FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(suffix=st.sampled_from(sorted(CONVERTED_SUFFIXES)), data=st.binary(max_size=2000))
def test_random_bytes_give_text_or_extraction_error(suffix: str, data: bytes) -> None:
    extract_or_error("random" + suffix, data)


HTML_PIECES = ["<p>", "</p>", "<li>", "</ul>", "<ul>", "<pre>", "</pre>", "<h1>", "</h1>", "<h2 hidden>",
               "</h2>", "<main>", "</main>", "<article>", "<td>", "<tr>", "<table>", "</table>", "<br/>",
               "<script>", "</script>", "<!--", "-->", "<title>T</title>", "&amp;", "&#0;", "word", " ",
               "\n", "\r\n", "\t", "\x00", "é", "<", ">", "</", "<div aria-hidden=true>", "</div>"]


@FUZZ
@given(pieces=st.lists(st.sampled_from(HTML_PIECES), max_size=60))
def test_random_markup_gives_well_formed_text(pieces: list[str]) -> None:
    result = extract("fuzz.html", "".join(pieces).encode())
    check_result(result)


VALID_PDF = make_pdf([PAGE_ONE, PAGE_TWO])


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, len(VALID_PDF) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_damaged_pdf_gives_text_or_extraction_error(edits: list[tuple[int, int]]) -> None:
    data = bytearray(VALID_PDF)
    for position, value in edits:
        data[position] = value
    extract_or_error("damaged.pdf", bytes(data))


def test_same_bytes_give_the_same_result() -> None:
    for name, data in (("a.pdf", VALID_PDF), ("a.html", PAGE), ("a.docx", make_docx())):
        assert extract(name, data) == extract(name, data)


def test_importing_the_module_loads_no_reader() -> None:
    import subprocess

    code = "import sys, index.documents.formats; print('pypdf' in sys.modules, 'docx' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["False", "False"]


def test_pdf_form_field_values_are_read_with_their_page() -> None:
    """A filled-in form keeps its answers in form fields, not in the text layer: a real LibreOffice
    form (tests/data/pdf-forms), and the same form filled in further by pypdf."""
    from pypdf import PdfReader, PdfWriter

    form = (Path(__file__).parent / "data" / "pdf-forms" / "libreoffice-form.pdf").read_bytes()
    result = extract("form.pdf", form)
    assert "First Name: Alice" in result.text.splitlines() and "First Name_2: Bob" in result.text.splitlines()
    assert "Last Name:" not in result.text, "an empty field adds nothing"

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(form)))
    writer.update_page_form_field_values(writer.pages[0], {"Last Name": "Okafor"}, auto_regenerate=False)
    filled = io.BytesIO()
    writer.write(filled)
    result = extract("filled.pdf", filled.getvalue())
    assert "Last Name: Okafor" in result.text.splitlines()
    assert location(result.marks, result.text.index("Okafor")) == "page 1"
