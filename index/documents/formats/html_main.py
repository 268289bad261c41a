"""Which paragraphs of a web page are its article: trafilatura's choice, applied to our own paragraphs.

A page's `<main>` often holds more than the article (share buttons, related posts, comment threads,
ad widgets), and many pages mark nothing at all. Measured on 35 of mozilla/readability's test pages
(`scripts/bench_html.py`), choosing by landmarks kept every word of the articles but let in 10% of
words that were not article text; trafilatura's main-content extraction (its own heuristics with
readability- and jusText-style fallbacks) let in about 1%. So trafilatura chooses, and the page
reader still renders: a paragraph of ours is kept when its words run through trafilatura's text. The
index keeps our rendering (headings as marks, lists, tables, `<pre>` lines), and no text of
trafilatura's own making ever becomes a quote.

On a short page, when trafilatura finds no main content or keeps none of our paragraphs, fails on a
page, or is not installed, there is no filter and the reader keeps its landmark choice.
"""

from __future__ import annotations

import logging
import re
from typing import Callable

_WORD = re.compile(r"\w+")
MIN_PAGE_CHARS = 1000
"""A page with less visible text than this is kept by its landmarks: on a few lines there is little
chrome to leave out, and trafilatura's choice among them is a guess."""
MIN_SHARED = 0.5
"""A paragraph of three words or more is kept when at least this share of its word trigrams occur in
trafilatura's text (a paragraph it kept whole shares nearly all; chrome near none)."""


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _trigrams(words: list[str]) -> list[tuple[str, str, str]]:
    return [(words[i], words[i + 1], words[i + 2]) for i in range(len(words) - 2)]


def article_filter(html: str) -> Callable[[str], bool] | None:
    """A test of whether a paragraph's text is part of the page's article, or None (no filter)."""
    try:
        import trafilatura
    except ImportError:
        return None
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)  # a page it cannot read is no error here
    try:
        extracted = trafilatura.extract(html, include_comments=False, include_tables=True, include_images=False,
                                        include_links=False, include_formatting=False, deduplicate=False)
    except Exception:  # a library on hostile markup can fail anywhere; the reader's own choice stands
        return None
    words = _words(extracted or "")
    if not words:
        return None
    lines = {tuple(_words(line)) for line in extracted.splitlines()}
    trigrams = set(_trigrams(words))

    def in_article(text: str) -> bool:
        mine = _words(text)
        if len(mine) < 3:
            return bool(mine) and tuple(mine) in lines  # a word or two: only as a line of its own there
        grams = _trigrams(mine)
        return sum(gram in trigrams for gram in grams) >= MIN_SHARED * len(grams)

    return in_article
