"""Measure how much of a web page's article the HTML reader keeps, and how much site chrome it lets in.

    python scripts/bench_html.py [--pages tests/data/readability-pages] [--json PATH] [--dump DIR] [--no-peer]

Why: the index quotes pages verbatim, so a reader that drops article paragraphs loses answers, and one
that keeps menus, share buttons, comments and "related stories" fills the index with text nobody asked
about. mozilla/readability publishes pages of real sites with the article its reader keeps
(`source.html` and `expected.html`, copied to tests/data/readability-pages, see SOURCE.md there), which
gives both a yardstick.

How: for every page folder, the expected text is the text content of `expected.html` (lxml.html,
whitespace collapsed). Ours is `index.documents.formats.extract("source.html", bytes).text`, the text the
index stores (trafilatura chooses the article's paragraphs, the reader renders them:
index/documents/formats/html_main.py); ours-landmarks is the same reader without trafilatura's choice
(its fallback: `<main>`, else `<article>`, else the whole page; the reader before trafilatura); the
peer is `trafilatura.extract` with its defaults, and again with `favor_recall=True`.
Each text becomes a multiset of words (lowercased `\\w+` tokens; a run of CJK characters is one token),
and with E the expected words, X the extracted ones:

    kept        = |E ∩ X| / |E|          share of the article's words the extractor holds
    boilerplate = (|X| - |E ∩ X|) / |X|  share of the extracted words that are not in the article

A page where an extractor returns nothing counts as kept 0 (boilerplate 0). The overall rows give micro
figures (word counts summed over all pages, so long pages weigh more) and macro ones (the mean of the
per-page shares). readability's expected article is one reader's judgement, not ground truth: it keeps
captions and some bylines and leaves out titles, so no extractor scores kept 1.0 and boilerplate 0.0.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PAGES = ROOT / "tests" / "data" / "readability-pages"
_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")


def words(text: str) -> Counter[str]:
    """The words of `text` as a multiset: lowercased runs of `\\w` characters."""
    return Counter(_WORD.findall(text.lower()))


def word_counts(expected: str, extracted: str) -> tuple[int, int, int]:
    """(|E|, |X|, |E ∩ X|): the expected words, the extracted words and the words they share (multisets)."""
    e, x = words(expected), words(extracted)
    return sum(e.values()), sum(x.values()), sum((e & x).values())


def shares(n_expected: int, n_extracted: int, n_shared: int) -> tuple[float, float]:
    """(kept, boilerplate) from word counts; nothing extracted is kept 0.0 and boilerplate 0.0."""
    kept = n_shared / n_expected if n_expected else (1.0 if not n_extracted else 0.0)
    boilerplate = (n_extracted - n_shared) / n_extracted if n_extracted else 0.0
    return kept, boilerplate


def word_overlap(expected: str, extracted: str) -> tuple[float, float]:
    """(kept, boilerplate) of `extracted` against `expected`, on words counted as a multiset.

    kept = |E ∩ X| / |E| and boilerplate = (|X| - |E ∩ X|) / |X|."""
    return shares(*word_counts(expected, extracted))


def expected_text(html: bytes) -> str:
    """The text content of readability's `expected.html`, whitespace collapsed."""
    import lxml.html

    root = lxml.html.document_fromstring(html.decode("utf-8", errors="replace"))
    return _SPACE.sub(" ", root.text_content()).strip()


def ours(data: bytes) -> str:
    """The text the index stores for the page (empty when the reader refuses it)."""
    from index.documents.formats import ExtractionError, extract

    try:
        return extract("source.html", data).text
    except ExtractionError:
        return ""


def ours_by_landmarks(data: bytes) -> str:
    """The reader without trafilatura's choice (its fallback: `<main>`, else `<article>`, else all)."""
    from unittest import mock

    with mock.patch("index.documents.formats.html_page.article_filter", lambda html: None):
        return ours(data)


def _trafilatura(**options) -> Callable[[bytes], str]:
    def run(data: bytes) -> str:
        import trafilatura

        # The test pages are stored as UTF-8 (whatever charset they declare).
        return trafilatura.extract(data.decode("utf-8", errors="replace"), **options) or ""

    return run


def extractors(peer: bool = True) -> dict[str, Callable[[bytes], str]]:
    """The extractors to compare, by column name."""
    found = {"ours": ours, "ours-landmarks": ours_by_landmarks}
    if peer:
        found["trafilatura"] = _trafilatura()
        found["trafilatura-recall"] = _trafilatura(favor_recall=True)
    return found


def page_dirs(pages: Path) -> list[Path]:
    return sorted(p for p in pages.iterdir() if (p / "source.html").is_file() and (p / "expected.html").is_file())


def measure(pages: Path, names: dict[str, Callable[[bytes], str]], dump: Path | None = None) -> dict:
    """Per-page counts and shares for every extractor, the overall micro and macro figures, and timings."""
    rows: dict[str, dict] = {}
    seconds = {name: 0.0 for name in names}
    for folder in page_dirs(pages):
        expected = expected_text((folder / "expected.html").read_bytes())
        source = (folder / "source.html").read_bytes()
        row: dict = {"expected_words": sum(words(expected).values()), "extractors": {}}
        for name, run in names.items():
            start = time.perf_counter()
            text = run(source)
            seconds[name] += time.perf_counter() - start
            n_e, n_x, n_shared = word_counts(expected, text)
            kept, boilerplate = shares(n_e, n_x, n_shared)
            row["extractors"][name] = {"words": n_x, "shared": n_shared, "kept": kept, "boilerplate": boilerplate}
            if dump is not None:
                (dump / folder.name).mkdir(parents=True, exist_ok=True)
                (dump / folder.name / f"{name}.txt").write_text(text, encoding="utf-8")
        if dump is not None:
            (dump / folder.name / "expected.txt").write_text(expected, encoding="utf-8")
        rows[folder.name] = row
    overall = {}
    for name in names:
        cells = [row["extractors"][name] for row in rows.values()]
        n_e = sum(row["expected_words"] for row in rows.values())
        micro = shares(n_e, sum(c["words"] for c in cells), sum(c["shared"] for c in cells))
        macro = (sum(c["kept"] for c in cells) / len(cells), sum(c["boilerplate"] for c in cells) / len(cells))
        overall[name] = {"micro": {"kept": micro[0], "boilerplate": micro[1]},
                         "macro": {"kept": macro[0], "boilerplate": macro[1]},
                         "empty_pages": sum(1 for c in cells if c["words"] == 0),
                         "seconds": round(seconds[name], 2)}
    return {"pages": rows, "overall": overall}


def table(result: dict, names: list[str]) -> str:
    head = "| page | expected words | " + " | ".join(f"{n} kept | {n} boilerplate" for n in names) + " |"
    lines = [head, "|---|---:|" + "---:|---:|" * len(names)]
    for page, row in result["pages"].items():
        cells = " | ".join(f"{row['extractors'][n]['kept']:.3f} | {row['extractors'][n]['boilerplate']:.3f}" for n in names)
        lines.append(f"| {page} | {row['expected_words']} | {cells} |")
    total = sum(row["expected_words"] for row in result["pages"].values())
    for kind in ("micro", "macro"):
        cells = " | ".join(f"{result['overall'][n][kind]['kept']:.3f} | {result['overall'][n][kind]['boilerplate']:.3f}"
                           for n in names)
        lines.append(f"| **overall ({kind})** | {total if kind == 'micro' else ''} | {cells} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES,
                        help="folder of page folders, each with source.html and expected.html (default %(default)s)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument("--dump", type=Path, metavar="DIR", help="write every extracted text to DIR/<page>/<extractor>.txt")
    parser.add_argument("--no-peer", action="store_true", help="measure our reader only (no trafilatura)")
    args = parser.parse_args(argv)
    if not args.pages.is_dir() or not page_dirs(args.pages):
        parser.error(f"no page folders with source.html and expected.html under {args.pages}")

    names = extractors(peer=not args.no_peer)
    result = measure(args.pages, names, args.dump)
    versions = {}
    if not args.no_peer:
        import trafilatura

        versions["trafilatura"] = trafilatura.__version__
    result["versions"] = versions

    print("$ python scripts/bench_html.py" + ("" if args.pages == DEFAULT_PAGES else f" --pages {args.pages}"))
    print(f"{len(result['pages'])} pages; kept = share of the expected article's words extracted, "
          "boilerplate = share of extracted words not in the article (words as a multiset)")
    if versions:
        print("peer: " + ", ".join(f"{k} {v}" for k, v in versions.items())
              + " (trafilatura: defaults; trafilatura-recall: favor_recall=True)")
    print()
    print(table(result, list(names)))
    print()
    for name, figures in result["overall"].items():
        print(f"{name}: {figures['seconds']:.1f} s for all pages, {figures['empty_pages']} page(s) with no text")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
