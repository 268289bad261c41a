"""Rank fusion (and the engine answering with it when no ranker is shipped), quote widening and
de-duplication, on a small corpus built with the real model."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import settings_for
from hypothesis import given, settings
from hypothesis import strategies as st

from index.answering.features import FEATURE_NAMES
from index.answering.quotes import QUOTE_MAX_CHARS, choose_spans, to_quote
from index.answering.search import FUSED_RETRIEVERS, RRF_K, fusion_scores
from index.lexical.tokens import content_words
from index.storage.builder import rebuild
from index.storage.loaded import open_index

REPEATED = (
    "The ferry to Marlow Island was cancelled because the harbour crane collapsed during the storm. "
    "Engineers expect repairs to take three weeks."
)


def test_fusion_prefers_candidates_every_retriever_ranks_high():
    features = np.zeros((3, len(FEATURE_NAMES)), dtype=np.float32)
    columns = [FEATURE_NAMES.index(name) for name in FUSED_RETRIEVERS]
    ranks = np.array([[0, 0, 0, 0], [1, 5, 0, 2], [40, 1, 30, 9]], dtype=np.float64)
    features[:, columns] = 1 / (1 + ranks)
    scores = fusion_scores(features)
    assert list(np.argsort(-scores)) == [0, 1, 2]
    assert scores[0] == pytest.approx(4 / 60)


@pytest.fixture(scope="module")
def duplicated(tmp_path_factory, encoder):
    """Two documents that repeat the same paragraph (as the blog does), plus a heading and filler."""
    corpus = tmp_path_factory.mktemp("dup") / "corpus"
    corpus.mkdir()
    filler = " ".join(f"Local note {k} mentions the weather on day {k} of the month." for k in range(12))
    (corpus / "news.md").write_text(f"Island News\n\n{REPEATED}\n\n{filler}\n\n{REPEATED}\n", encoding="utf-8")
    (corpus / "blog.txt").write_text(f"My blog post.\n\n{REPEATED} I was annoyed.\n\n{filler}\n", encoding="utf-8")
    settings = settings_for(corpus, tmp_path_factory.mktemp("dup-index"))
    rebuild(settings, encoder=encoder)
    return open_index(settings)


def test_repeated_paragraph_is_quoted_once(duplicated):
    index = duplicated
    ids = np.arange(index.size)
    text_scores = np.array([1.0 if "ferry" in index.sentence(i) else 0.1 for i in ids])
    spans = choose_spans(index, ids, text_scores, k=5)
    quotes = [to_quote(index, span, 0.5) for span in spans]
    with_ferry = [q for q in quotes if "ferry to Marlow" in q.text]
    assert len(with_ferry) == 1
    words = [frozenset(content_words(index.sentence(s.focus))) for s in spans]
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            assert len(a & b) < 0.8 * min(len(a), len(b))


def test_quotes_widen_towards_better_neighbours_within_limits(duplicated):
    index = duplicated
    ids = np.arange(index.size)
    scores = np.zeros(index.size)
    ferry = next(i for i in ids if "ferry" in index.sentence(i))
    scores[ferry], scores[ferry + 1] = 1.0, 0.9
    span = choose_spans(index, ids, scores, k=1)[0]
    quote = to_quote(index, span, 0.9)
    assert span.first <= ferry <= span.last and span.last >= ferry + 1  # took the continuation
    assert len(quote.text) <= QUOTE_MAX_CHARS
    assert "Island News" not in quote.text  # headings are never context
    assert quote.text[quote.focus[0]:quote.focus[1]] == index.sentence(ferry)


RANKS = st.lists(st.lists(st.integers(0, 30), min_size=4, max_size=4), min_size=1, max_size=40)


def _features_from_ranks(ranks: list[list[int]]) -> np.ndarray:
    """Feature rows as the candidate builder writes them: each retriever's rank r as 1 / (1 + r)."""
    features = np.zeros((len(ranks), len(FEATURE_NAMES)), dtype=np.float32)
    columns = [FEATURE_NAMES.index(name) for name in FUSED_RETRIEVERS]
    features[:, columns] = 1 / (1 + np.array(ranks, dtype=np.float64))
    return features


@settings(max_examples=200, deadline=None)
@given(ranks=RANKS)
def test_fusion_is_reciprocal_rank_fusion(ranks):
    """Each retriever adds 1 / (60 + rank), whatever else the feature rows hold; a candidate ranked at
    least as well by every retriever scores at least as high."""
    features = _features_from_ranks(ranks)
    features[:, 0] = np.arange(len(ranks))  # other columns must not matter
    scores = fusion_scores(features)
    expected = [sum(1 / (RRF_K + r) for r in row) for row in ranks]
    np.testing.assert_allclose(scores, expected, rtol=1e-6)
    for a, row_a in enumerate(ranks):
        for b, row_b in enumerate(ranks):
            if all(x <= y for x, y in zip(row_a, row_b)):
                assert scores[a] >= scores[b] - 1e-12


def test_engine_without_a_ranker_falls_back_to_fusion_and_still_answers(engine, encoder):
    from index.answering.search import Searcher

    searcher = Searcher(engine._searcher.index, encoder, ranker=None)
    answer = searcher.answer("what did Abrams warn?", k=3)
    assert answer.answered and answer.quotes
    assert any("Abrams warned" in q.text for q in answer.quotes)
