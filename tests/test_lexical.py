"""The tokenizer and BM25, checked against peers: the Lucene BM25 formula written out plainly, and
rank-bm25 (an independent implementation) on the default corpus."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, DEV_QUESTIONS
from hypothesis import given, settings
from hypothesis import strategies as st

from index.documents.sentences import split_sentences
from index.lexical.bm25 import LexicalIndex
from index.lexical.tokens import STOPWORDS, content_words, normalize, tokenize

K1, B = 1.2, 0.75
"""What `LexicalIndex.build` uses; bm25s' default method is Lucene's."""

# --- the tokenizer ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("The U.S. and the U.N. Command", ["us", "un", "command"]),
        ("U.S.-led forces", ["us", "led", "forces"]),
        ("the US said", ["us", "said"]),
        ("let's see what's here", ["see"]),
        ("A.B.C.D. rules", ["abcd", "rules"]),
        ("at 9 a.m. sharp", ["9", "sharp"]),  # "am" is a stop word
        ("Korea’s war and Korea's peace", ["korea", "war", "korea", "peace"]),
        ("Abrams' warning", ["abrams", "warning"]),
        ("don’t, won't and shouldn't", []),
        ("ＦＵＬＬ ｗｉｄｔｈ １２３", ["full", "width", "123"]),
        ("ﬁnance", ["finance"]),
        ("cafe\u0301 Zürich", ["café", "zürich"]),
        ("snake_case x 7 a I", ["snake", "case", "7"]),
        ("What is it that they would have been doing?", []),
    ],
)
def test_content_words(text: str, words: list[str]) -> None:
    assert content_words(text) == words


def test_normalize_joins_dotted_acronyms_and_unifies_quotes() -> None:
    assert normalize("The U.S. Army’s ‘plan’") == "the us  army's 'plan'"
    assert normalize("e.g. this") == "eg  this"


def test_tokenize_stems_content_words() -> None:
    assert tokenize("Abrams warned the warnings were warning") == ["abram", "warn", "warn", "warn"]
    assert tokenize("declarations declared") == tokenize("declaration declare")


ASCII_TEXT = st.text(st.characters(codec="ascii", categories=["L", "N", "P", "Zs"]), max_size=80)
STOPWORD = st.sampled_from(sorted(STOPWORDS))


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80))
def test_content_words_are_clean(text: str) -> None:
    for word in content_words(text):
        assert word == word.lower() and word not in STOPWORDS
        assert not word.endswith("'s") and "’" not in word
        assert all(part.isalnum() for part in word.split("'")), word
        assert len(word) > 1 or word.isdigit()


@settings(max_examples=200, deadline=None)
@given(text=ASCII_TEXT)
def test_tokens_ignore_case_and_apostrophe_style(text: str) -> None:
    assert tokenize(text.upper()) == tokenize(text) == tokenize(text.replace("'", "’"))


@settings(max_examples=200, deadline=None)
@given(letters=st.lists(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=2, max_size=6),
       before=st.lists(STOPWORD, max_size=3), upper=st.booleans())
def test_dotted_acronyms_become_one_word(letters: list[str], before: list[str], upper: bool) -> None:
    dotted = "".join(f"{c}." for c in letters)
    joined = "".join(letters)
    text = " ".join(before + [dotted.upper() if upper else dotted, "Army"])
    expected = ([] if joined in STOPWORDS else [joined]) + ["army"]
    assert content_words(text) == expected


# --- BM25 against the Lucene formula ----------------------------------------------------------------


def lucene_scores(docs: list[list[str]], query: list[str]) -> np.ndarray:
    """BM25 as Lucene defines it, term by term: idf = ln(1 + (N - df + 0.5) / (df + 0.5)),
    tf part = tf / (tf + k1 (1 - b + b |d| / avgdl)); repeated query terms count again."""
    n = len(docs)
    avgdl = sum(map(len, docs)) / n
    scores = np.zeros(n)
    for term in query:
        df = sum(term in doc for doc in docs)
        if df == 0:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for i, doc in enumerate(docs):
            tf = doc.count(term)
            if tf:
                scores[i] += idf * tf / (tf + K1 * (1 - B + B * len(doc) / avgdl))
    return scores


EMPTY_CORPUS_WARNING = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
"""bm25s divides by the average unit length, 0 when every unit is empty; the scores stay 0 (asserted)."""

VOCAB = ["ferry", "crane", "storm", "harbour", "repair", "week", "island", "korea"]
DOCS = st.lists(st.lists(st.sampled_from(VOCAB), max_size=15), min_size=1, max_size=25)
QUERY = st.lists(st.sampled_from(VOCAB + ["unknown", "also-unknown"]), max_size=6)


@EMPTY_CORPUS_WARNING
@settings(max_examples=150, deadline=None)
@given(docs=DOCS, query=QUERY)
def test_scores_follow_the_lucene_formula(docs: list[list[str]], query: list[str]) -> None:
    index = LexicalIndex.build(docs)
    assert index.size == len(docs)
    got = index.scores(query)
    assert got.shape == (len(docs),) and got.dtype == np.float32
    if sum(map(len, docs)) == 0:
        assert not got.any()
        return
    np.testing.assert_allclose(got, lucene_scores(docs, query), rtol=1e-5, atol=1e-6)


@EMPTY_CORPUS_WARNING
@settings(max_examples=150, deadline=None)
@given(docs=DOCS)
def test_postings_and_document_frequency_match_a_brute_force_count(docs: list[list[str]]) -> None:
    index = LexicalIndex.build(docs)
    for term in VOCAB + ["unknown", ""]:
        holders = [i for i, doc in enumerate(docs) if term in doc]
        assert index.postings(term).tolist() == holders
        assert index.document_frequency(term) == len(holders)
        assert (term in index) == bool(holders)


# --- the real corpus: save/load and a peer implementation -------------------------------------------


@pytest.fixture(scope="module")
def sentence_terms() -> list[list[str]]:
    """The BM25 terms of every sentence of the default corpus, as the builder makes them."""
    terms = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        terms += [tokenize(text[s.start:s.end]) for s in split_sentences(text)]
    return terms


@pytest.fixture(scope="module")
def questions() -> list[list[str]]:
    records = [json.loads(line) for line in DEV_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [tokenize(r["question"]) for r in records]


def test_saved_and_memory_mapped_index_gives_the_same_answers(sentence_terms, questions, tmp_path: Path) -> None:
    built = LexicalIndex.build(sentence_terms)
    built.save(tmp_path / "bm25")
    assert not list((tmp_path / "bm25").glob("*.pkl")), "no pickle in the index"
    for mmap in (True, False):
        loaded = LexicalIndex.load(tmp_path / "bm25", mmap=mmap)
        assert loaded.size == built.size == len(sentence_terms)
        for query in questions:
            np.testing.assert_array_equal(loaded.scores(query), built.scores(query))
        vocabulary = sorted({t for terms in sentence_terms for t in terms})
        for term in vocabulary[::7] + ["nowhere-in-corpus"]:
            holders = [i for i, terms in enumerate(sentence_terms) if term in terms]
            assert loaded.postings(term).tolist() == holders
            assert loaded.document_frequency(term) == len(holders)


def test_lucene_formula_on_the_real_corpus(sentence_terms, questions) -> None:
    index = LexicalIndex.build(sentence_terms)
    for query in questions:
        np.testing.assert_allclose(index.scores(query), lucene_scores(sentence_terms, query), rtol=1e-5, atol=1e-6)


def _rank_bm25():
    return pytest.importorskip("rank_bm25", reason="pip install -r requirements-dev.txt (rank-bm25)")


def test_rank_bm25_with_lucene_idf_gives_the_same_scores(sentence_terms, questions) -> None:
    """rank-bm25's Okapi term-frequency part is (k1 + 1) times Lucene's; given Lucene's idf it must
    score every sentence exactly (k1 + 1) times higher than our index does."""
    rank_bm25 = _rank_bm25()

    class LuceneIdfOkapi(rank_bm25.BM25Okapi):
        def _calc_idf(self, nd: dict[str, int]) -> None:
            self.idf = {w: math.log(1 + (self.corpus_size - df + 0.5) / (df + 0.5)) for w, df in nd.items()}

    peer = LuceneIdfOkapi(sentence_terms, k1=K1, b=B)
    index = LexicalIndex.build(sentence_terms)
    for query in questions:
        np.testing.assert_allclose(index.scores(query) * (K1 + 1), peer.get_scores(query), rtol=1e-5, atol=1e-6)


def test_ranks_agree_with_stock_rank_bm25_okapi(sentence_terms, questions) -> None:
    """Stock BM25Okapi weighs terms by another idf (ln((N - df + 0.5) / (df + 0.5)), floored), so scores
    differ: a single term must still order sentences identically, and whole questions nearly so."""
    rank_bm25 = _rank_bm25()
    peer = rank_bm25.BM25Okapi(sentence_terms, k1=K1, b=B)
    index = LexicalIndex.build(sentence_terms)
    vocabulary = sorted({t for terms in sentence_terms for t in terms})
    for term in vocabulary:
        ours, theirs = index.scores([term]), peer.get_scores([term])
        assert np.array_equal(ours > 0, theirs > 0), term
        ratio = theirs[ours > 0] / ours[ours > 0]
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-5, err_msg=term)  # same order, same gaps
    same_best = overlap = 0
    scored = [q for q in questions if index.scores(q).any()]
    for query in scored:
        ours, theirs = index.scores(query), peer.get_scores(query)
        same_best += int(np.argmax(ours) == np.argmax(theirs))
        overlap += len(set(np.argsort(-ours)[:5]) & set(np.argsort(-theirs)[:5]))
    assert len(scored) >= 20
    assert same_best >= 0.8 * len(scored)
    assert overlap >= 0.8 * 5 * len(scored)


def test_queries_without_indexed_terms_score_zero(sentence_terms) -> None:
    index = LexicalIndex.build(sentence_terms)
    for query in ([], ["nowhere-in-corpus"], [""]):
        scores = index.scores(query)
        assert scores.shape == (len(sentence_terms),) and not scores.any()


# --- the numpy build against bm25s's own ---------------------------------------------------------------


def bm25s_matrix(token_lists: list[list[str]]):
    """What `bm25s.BM25.index` builds from the units' term lists (the peer `index/lexical/matrix.py` replaces)."""
    import bm25s

    retriever = bm25s.BM25(k1=K1, b=B)
    vocab: dict[str, int] = {"": 0}
    ids = [[vocab.setdefault(term, len(vocab)) for term in terms] for terms in token_lists]
    retriever.index((ids, vocab), show_progress=False)
    return retriever


@st.composite
def documents_of_sentences(draw):
    """Sentences' terms grouped in documents, each document with a file name's terms."""
    docs = draw(st.lists(st.lists(st.lists(st.sampled_from(VOCAB), max_size=8), min_size=1, max_size=6), min_size=1, max_size=6))
    names = draw(st.lists(st.lists(st.sampled_from(VOCAB + ["txt", "notes"]), max_size=3), min_size=len(docs), max_size=len(docs)))
    return docs, names


@EMPTY_CORPUS_WARNING
@settings(max_examples=150, deadline=None)
@given(corpus=documents_of_sentences(), radius=st.integers(0, 2), chunk=st.sampled_from([1, 3, 1_000_000]))
def test_runs_of_sentences_score_exactly_as_bm25s_scores_their_terms(corpus, radius, chunk) -> None:
    """Windows and documents (with file-name terms) built from the token table, in chunks of any size,
    are bm25s's matrices bit for bit: same vocabulary, scores, rows and column pointers."""
    from unittest import mock

    import index.lexical.matrix as bm25_matrix
    from index.documents.units import window_bounds

    docs, names = corpus
    sentences = [terms for doc in docs for terms in doc]
    builder = bm25_matrix.TokenTableBuilder()
    for doc in docs:
        builder.add(doc)
    table = builder.build()
    doc_of = np.repeat(np.arange(len(docs)), [len(doc) for doc in docs])
    levels = {"windows": (*window_bounds(doc_of, radius), None)}
    doc_first = np.r_[0, np.cumsum([len(doc) for doc in docs])[:-1]]
    levels["documents"] = (doc_first, doc_first + [len(doc) - 1 for doc in docs], names)
    for first, last, extras in levels.values():
        with mock.patch.object(bm25_matrix, "CHUNK_TOKENS", chunk):
            ours = bm25_matrix.score_matrix(table, first, last, extras)
        units = [(list(extras[u]) if extras else []) + sum(sentences[a:b + 1], []) for u, (a, b) in enumerate(zip(first, last))]
        if not any(units):
            continue  # bm25s needs one term somewhere
        peer = bm25s_matrix(units)
        assert ours.vocab == peer.vocab_dict and ours.units == len(units)
        for key, array in (("data", ours.data), ("indices", ours.indices), ("indptr", ours.indptr)):
            assert array.dtype == peer.scores[key].dtype and np.array_equal(array, peer.scores[key]), key
