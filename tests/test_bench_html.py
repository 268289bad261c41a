"""scripts/bench_html.py: its word-overlap metric gives known answers, and the HTML reader keeps most of
the article of a few of readability's test pages (tests/data/readability-pages)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from bench_html import DEFAULT_PAGES, expected_text, ours, word_overlap  # noqa: E402

ARTICLE = ("The harbour ferry was cancelled because the old crane collapsed during the storm that also "
           "flooded the road to the station and engineers expect repairs to take three more weeks")
OTHER = " ".join(f"menu{i}" for i in range(len(ARTICLE.split())))


def test_identical_text_is_all_kept_and_no_boilerplate():
    assert word_overlap(ARTICLE, ARTICLE) == (1.0, 0.0)


def test_case_punctuation_and_spacing_do_not_count():
    assert word_overlap(ARTICLE, "\n\n" + ARTICLE.upper().replace(" ", ",  ") + ".") == (1.0, 0.0)


def test_an_equal_amount_of_other_words_is_half_boilerplate():
    kept, boilerplate = word_overlap(ARTICLE, ARTICLE + "\n" + OTHER)
    assert kept == 1.0 and boilerplate == pytest.approx(0.5)


def test_half_the_article_is_half_kept():
    words = ARTICLE.split()
    assert len(words) % 2 == 0
    kept, boilerplate = word_overlap(ARTICLE, " ".join(words[: len(words) // 2]))
    assert kept == pytest.approx(0.5) and boilerplate == 0.0


def test_words_count_as_a_multiset():
    """A word the article has once, extracted twice, is kept once and boilerplate once."""
    assert word_overlap("ferry", "ferry ferry") == (1.0, 0.5)
    assert word_overlap("ferry ferry", "ferry") == (0.5, 0.0)


def test_nothing_extracted_is_nothing_kept():
    assert word_overlap(ARTICLE, "") == (0.0, 0.0)


@pytest.mark.parametrize("page", ["bbc-1", "wikipedia-3", "google-sre-book-1"])
def test_our_reader_keeps_most_of_the_article(page):
    folder = DEFAULT_PAGES / page
    expected = expected_text((folder / "expected.html").read_bytes())
    assert len(expected.split()) > 300, "the expected article was not read"
    kept, _ = word_overlap(expected, ours((folder / "source.html").read_bytes()))
    assert kept > 0.5, f"{page}: only {kept:.0%} of the article's words kept"
