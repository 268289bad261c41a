"""Measure whether PDFs as people have them answer: hit@1 / hit@3 and exact page citations on a set of
questions over real PDFs, with the PDF reader's layout repairs on and off.

    python scripts/bench_pdf.py [--set tests/data/pdf-set] [--work var/bench-pdf] [--no-repair]

Why: a PDF's text layer keeps the printed lines, so words hyphenated at line ends ("experi-" /
"ments"), ligature glyphs ("ﬁ"), running headers and footers and two-column order can make a quote
unreadable or the answer unfindable. The set (tests/data/pdf-set, written blind: SOURCE.md there) asks
20 chat questions over 5 PDFs; each names its page and a short answer phrase as a person reads it (whole
words, plain letters).

How: the set's corpus is indexed like any corpus and each question answered with abstention off (the
best passages). A hit at k: one of the first k quotes contains the answer phrase after SQuAD's answer
normalisation (lower case, no punctuation or articles; a word split by a line-end hyphen or spelled
with a ligature does not match). Page: the hit quote's `page` is the gold page. Also counted over the
extracted text: line-end hyphen splits and ligature characters left. `--no-repair` measures the reader
without `pdf_layout.repair` (pypdf's text as it lays it out: the reader before the repairs).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_SET = ROOT / "tests" / "data" / "pdf-set"
_SPLIT = re.compile(r"[^\W\d_]-\n[^\W\d_]")
_LIGATURE = re.compile("[\ufb00-\ufb06]")


def as_is(pages: list[str]) -> list[str]:
    """The reader without its layout repairs."""
    return [page.strip() for page in pages]


def page_cell(row: dict) -> str:
    if row["page_ok"]:
        return "ok"
    return "-" if row["page"] is None else f"{row['page']} (gold {row['gold_page']})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="folder with corpus/ and questions.jsonl")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench-pdf", help="where the index is built")
    parser.add_argument("--no-repair", action="store_true", help="measure the reader without pdf_layout.repair")
    args = parser.parse_args(argv)

    from index import Engine, Settings
    from index.documents.formats import extract
    from index.evaluation import normalize_answer

    corpus = args.set / "corpus"
    questions = [json.loads(line) for line in (args.set / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    label = "as-is" if args.no_repair else "repaired"
    patch = mock.patch("index.documents.formats.pdf.repair", as_is) if args.no_repair else nullcontext()
    with patch:
        texts = {p.name: extract(p.name, p.read_bytes()).text for p in sorted(corpus.glob("*.pdf"))}
        settings = Settings(corpus_dir=corpus, index_dir=args.work / label)
        engine = Engine.open(settings, auto_rebuild=True)
        rows, started = [], time.perf_counter()
        for q in questions:
            quotes = engine.answer(q["question"], k=3, abstain=False).quotes
            answers = [normalize_answer(a) for a in q["answer"]]
            hits = [any(a in normalize_answer(quote.text) for a in answers) for quote in quotes]
            first = next((quote for quote, hit in zip(quotes, hits) if hit), None)
            rows.append({"id": q["id"], "doc": q["doc"], "trap": q.get("trap", ""), "hit1": bool(hits[:1] and hits[0]),
                         "hit3": any(hits), "page_ok": first is not None and first.page == q["page"],
                         "page": first.page if first else None, "gold_page": q["page"]})
        seconds = time.perf_counter() - started

    print(f"PDF set {args.set} ({len(questions)} questions, {len(texts)} PDFs), reader {label}")
    print(f"{'id':8} {'doc':34} {'trap':9} hit@1 hit@3 page")
    for r in rows:
        print(f"{r['id']:8} {r['doc'][:34]:34} {r['trap']:9} {'yes' if r['hit1'] else '-':5} "
              f"{'yes' if r['hit3'] else '-':5} {page_cell(r)}")
    n = len(rows)
    hit1, hit3 = sum(r["hit1"] for r in rows) / n, sum(r["hit3"] for r in rows) / n
    pages = sum(r["page_ok"] for r in rows if r["hit3"])
    print(f"hit@1 {hit1:.3f}  hit@3 {hit3:.3f}  page right on {pages}/{sum(r['hit3'] for r in rows)} hits  ({seconds:.1f} s)")
    for trap in sorted({r["trap"] for r in rows}):
        group = [r for r in rows if r["trap"] == trap]
        print(f"  trap {trap or '-':9} {len(group):2} questions: hit@1 {sum(r['hit1'] for r in group) / len(group):.3f}")
    for name, text in texts.items():
        print(f"  {name}: {len(_SPLIT.findall(text))} line-end hyphen splits, {len(_LIGATURE.findall(text))} ligature characters left")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
