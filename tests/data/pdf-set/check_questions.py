#!/usr/bin/env python3
"""Validate questions.jsonl against the PDFs in corpus/.

For every question the "answer" key phrases (lowercased, whitespace collapsed)
must occur in the normalised pdftotext text of the gold page, where the
normalisation is:

  pdftotext -f P -l P file.pdf -   (poppler, default reading-order mode)
  -> unicodedata NFKC (ligatures U+FB00-U+FB06 become plain letters)
  -> join line-end hyphens ("-" + newline) when a lowercase letter follows
  -> collapse all whitespace to single spaces -> lowercase

It also checks the structure of the file and the constraints of the set:
20 questions, 3-6 per PDF, >= 10 trap questions, trap labels that are
consistent with the page text (a "hyphen" answer contains a word that
pdftotext -raw shows split across a line end; a "ligature" answer contains
fi/fl/ff), and that each evidence sentence contains its answer phrases.

Usage: python3 check_questions.py   (exit status 0 when everything passes)
Needs: pdftotext and pdfinfo (poppler-utils).
"""
import collections
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
QUESTIONS = HERE / "questions.jsonl"
TRAPS = {"hyphen", "ligature", "both", "none"}
FIELDS = {"id", "question", "doc", "page", "answer", "evidence", "trap"}


def pdftotext(pdf, page, *extra):
    out = subprocess.run(
        ["pdftotext", *extra, "-f", str(page), "-l", str(page), str(pdf), "-"],
        check=True, capture_output=True)
    return out.stdout.decode("utf-8", "replace")


def page_count(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], check=True,
                          capture_output=True).stdout.decode("utf-8", "replace")
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def normalise_page(text):
    text = unicodedata.normalize("NFKC", text)
    # "-" at a line end, then (after optional indentation) a letter: join the
    # two halves when that letter is lowercase (a word split by hyphenation);
    # keep the hyphen otherwise (e.g. "Schwarz-\nWeiß" is a real compound).
    def join(m):
        return "" if m.group(1).islower() else "- "
    joined = re.sub(r"-[ \t]*\r?\n[ \t]*(?=([^\W\d_]))", join, text)
    return re.sub(r"\s+", " ", joined).strip().lower()


def normalise_phrase(text):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().lower()


def split_words(pdf, page):
    """Words that pdftotext -raw shows split by a hyphen at a line end."""
    raw = unicodedata.normalize("NFKC", pdftotext(pdf, page, "-raw"))
    words = set()
    for m in re.finditer(r"(\w+)-[ \t]*\n[ \t]*(\w+)", raw):
        if m.group(2)[:1].islower():
            words.add((m.group(1) + m.group(2)).lower())
    return words


def main():
    errors = []
    rows = []
    for n, line in enumerate(QUESTIONS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            errors.append(f"line {n}: invalid JSON: {e}")
    pdfs = sorted(p.name for p in CORPUS.glob("*.pdf"))
    if len(pdfs) != 5:
        errors.append(f"corpus/ must hold exactly 5 PDFs, found {pdfs}")
    total = sum(p.stat().st_size for p in CORPUS.glob("*.pdf"))
    if total >= 3 * 1024 * 1024:
        errors.append(f"corpus/ PDFs total {total} bytes (limit 3 MiB)")
    if len(rows) != 20:
        errors.append(f"expected 20 questions, found {len(rows)}")

    ids = collections.Counter(r.get("id") for r in rows)
    for i, c in ids.items():
        if c > 1:
            errors.append(f"duplicate id {i}")
    per_doc = collections.Counter(r.get("doc") for r in rows)
    for doc in pdfs:
        if not 3 <= per_doc.get(doc, 0) <= 6:
            errors.append(f"{doc}: {per_doc.get(doc, 0)} questions (need 3-6)")
    traps = collections.Counter(r.get("trap") for r in rows)
    if sum(traps[t] for t in ("hyphen", "ligature", "both")) < 10:
        errors.append(f"fewer than 10 trap questions: {dict(traps)}")

    page_cache = {}
    for r in rows:
        qid = r.get("id", "?")
        missing = FIELDS - set(r)
        if missing:
            errors.append(f"{qid}: missing fields {sorted(missing)}")
            continue
        pdf = CORPUS / r["doc"]
        if not pdf.is_file():
            errors.append(f"{qid}: no such PDF {r['doc']}")
            continue
        page = r["page"]
        if not isinstance(page, int) or not 1 <= page <= page_count(pdf):
            errors.append(f"{qid}: bad page {page!r}")
            continue
        if r["trap"] not in TRAPS:
            errors.append(f"{qid}: bad trap {r['trap']!r}")
        if not isinstance(r["answer"], list) or not r["answer"]:
            errors.append(f"{qid}: answer must be a non-empty list")
            continue
        key = (r["doc"], page)
        if key not in page_cache:
            page_cache[key] = (normalise_page(pdftotext(pdf, page)),
                               split_words(pdf, page))
        text, hyphenated = page_cache[key]
        evidence = normalise_phrase(r["evidence"])
        for phrase in r["answer"]:
            p = normalise_phrase(phrase)
            if not 2 <= len(p.split()) <= 8:
                errors.append(f"{qid}: answer {phrase!r} is not 2-8 words")
            if any(0xFB00 <= ord(c) <= 0xFB06 for c in phrase) or "\u00ad" in phrase:
                errors.append(f"{qid}: answer {phrase!r} has ligature/soft-hyphen chars")
            if p not in text:
                errors.append(f"{qid}: answer {phrase!r} not found on "
                              f"{r['doc']} page {page}")
            if p not in evidence:
                errors.append(f"{qid}: answer {phrase!r} not inside evidence")
        words = set(re.findall(r"\w+", " ".join(normalise_phrase(a) for a in r["answer"])))
        has_hyphen = bool(words & hyphenated)
        has_lig = any(s in w for w in words for s in ("fi", "fl", "ff"))
        if r["trap"] in ("hyphen", "both") and not has_hyphen:
            errors.append(f"{qid}: trap {r['trap']} but no answer word is "
                          f"hyphenated at a line end on page {page}")
        if r["trap"] in ("ligature", "both") and not has_lig:
            errors.append(f"{qid}: trap {r['trap']} but no fi/fl/ff in answer")
        if r["trap"] == "none" and (has_hyphen or has_lig):
            errors.append(f"{qid}: trap none but answer has a hyphen/ligature word")

    print(f"{len(rows)} questions, {len(pdfs)} PDFs, traps: {dict(sorted(traps.items()))}")
    for e in errors:
        print("FAIL:", e)
    if errors:
        print(f"{len(errors)} problem(s)")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
