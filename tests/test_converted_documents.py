"""PDF, HTML and .docx documents end to end, on real files made in the test: indexed, answered with
the right page or section, quotes verbatim slices of the extracted text (which the index stores), and
files that cannot be read reported by name with the reason."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from conftest import settings_for
from test_formats import encrypted, make_pdf

from index.config import PROJECT_ROOT
from index.documents.formats import extract
from index.engine import Engine
from index.storage.builder import rebuild

HTML = """<!doctype html><html><head><title>Ferry guide</title><style>p {color: red}</style>
<script>var note = "The ferry is free on Sundays for everyone.";</script></head>
<body><nav><a href="/">Home</a> <a href="/fares">The ferry is free on Mondays.</a></nav>
<main><h1>Ferry guide</h1><p>The harbour ferry connects the old town with the islands.</p>
<h2>Timetable</h2><p>The first ferry leaves the north pier at six in the morning.</p>
<h2>Tickets</h2><p>A return ticket to the islands costs four euros.</p></main>
<footer>We use cookies to improve the ferry site.</footer></body></html>"""


def _docx() -> bytes:
    from docx import Document

    document = Document()
    document.add_heading("Staff handbook", level=0)
    document.add_heading("Leave", level=1)
    document.add_paragraph("Everyone gets twenty-five days of paid leave each year.")
    document.add_heading("Expenses", level=1)
    document.add_paragraph("Train tickets for work trips are refunded within ten days.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def converted(tmp_path_factory, encoder):
    root = tmp_path_factory.mktemp("converted")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "policy.pdf").write_bytes(make_pdf([
        "Refunds are paid within fourteen days of the request.",
        "The support desk is open on weekdays from nine to five.",
    ]))
    (corpus / "ferry.html").write_text(HTML, encoding="utf-8")
    (corpus / "handbook.docx").write_bytes(_docx())
    (corpus / "locked.pdf").write_bytes(encrypted(make_pdf(["A secret sentence about salaries."]), "pw"))
    (corpus / "scan.pdf").write_bytes(make_pdf(["", ""]))
    (corpus / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    settings = settings_for(corpus, root / "index")
    summary = rebuild(settings, encoder=encoder)
    return settings, summary, Engine.open(settings, auto_rebuild=False, encoder=encoder)


def _extracted(settings, doc: str) -> str:
    return extract(doc, (settings.corpus_dir / doc).read_bytes()).text


@pytest.mark.parametrize("question, doc, where, words", [
    ("When is the support desk open?", "policy.pdf", ("page", 2), "weekdays from nine to five"),
    ("How fast are refunds paid?", "policy.pdf", ("page", 1), "fourteen days"),
    ("When does the first ferry leave?", "ferry.html", ("section", "Timetable"), "six in the morning"),
    ("How much is a return ticket to the islands?", "ferry.html", ("section", "Tickets"), "four euros"),
    ("How many days of paid leave do staff get?", "handbook.docx", ("section", "Leave"), "twenty-five days"),
    ("When are train tickets refunded?", "handbook.docx", ("section", "Expenses"), "within ten days"),
])
def test_questions_are_answered_from_each_format_with_page_or_section(converted, question, doc, where, words):
    settings, _, engine = converted
    answer = engine.answer(question)
    quote = answer.quotes[0]
    assert answer.answered and quote.doc == doc and words in quote.text
    assert quote.text == _extracted(settings, doc)[quote.start:quote.end], "verbatim in the extracted text"
    kind, value = where
    assert getattr(quote, kind) == value and quote.as_json()[kind] == value


def test_navigation_scripts_and_footers_are_not_indexed(converted):
    settings, _, engine = converted
    text = _extracted(settings, "ferry.html")
    assert "free on Sundays" not in text and "free on Mondays" not in text and "cookies" not in text
    answer = engine.answer("Is the ferry free on Sundays?")
    assert all("Sundays" not in q.text for q in answer.quotes + ([answer.closest] if answer.closest else []))


def test_unreadable_files_are_reported_by_name_and_reason(converted):
    _, summary, engine = converted
    reasons = {s.path: s.reason for s in summary.skipped}
    assert "encrypted" in reasons["locked.pdf"]
    assert "text layer" in reasons["scan.pdf"]
    assert reasons["photo.png"].startswith(".png files are not read")
    assert sorted(s.path for s in engine.sources()) == ["ferry.html", "handbook.docx", "policy.pdf"]


def test_the_cli_shows_the_page_and_the_json_carries_it(converted):
    settings, _, _ = converted
    env = dict(os.environ, CORPUS_DIR=str(settings.corpus_dir), INDEX_DIR=str(settings.index_dir))
    run = lambda *args: subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=PROJECT_ROOT, env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=300)
    readable = run("When is the support desk open?")
    assert "policy.pdf, page 2" in readable.stdout, readable.stderr
    data = json.loads(run("--json", "When does the first ferry leave?").stdout)
    assert data["quotes"][0]["section"] == "Timetable" and data["quotes"][0]["doc"] == "ferry.html"
