"""Lexical retrieval: a tokenizer for English prose and BM25 (bm25s) over retrieval units; the score
matrices themselves are computed by `index/bm25_matrix.py`.

Names such as "Abrams" or "Tokola" are where dense embeddings are weakest and exact term matching is
strongest, so every question is scored both ways.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from .bm25_matrix import B, K1, ScoreMatrix, TokenTableBuilder, score_matrix

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
    during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here
    here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its
    itself let's me more most mustn't my myself no nor not of off on once only or other ought our ours
    ourselves out over own same shan't she she'd she'll she's should shouldn't so some such than that
    that's the their theirs them themselves then there there's these they they'd they'll they're they've
    this those through to too under until up very was wasn't we we'd we'll we're we've were weren't what
    what's when when's where where's which while who who's whom why why's with won't would wouldn't you
    you'd you'll you're you've your yours yourself yourselves
    also just s t d ll m re ve
    """.split()
)
"""Common English function words (question words included); "us" is kept because it is also "U.S."."""

_ACRONYM = re.compile(r"\b(?:[a-z]\.){2,}")
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202 - PyStemmer has no type stubs
    import Stemmer

    return Stemmer.Stemmer("english")


def normalize(text: str) -> str:
    """Lower-case, unify quotes and width, and join dotted acronyms ("U.S." -> "us")."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    text = text.lower()
    return _ACRONYM.sub(lambda m: m.group().replace(".", "") + " ", text) if "." in text else text


def content_words(text: str) -> list[str]:
    """The words of `text` that carry meaning: lower-cased, no stop words, possessives dropped."""
    words = []
    for word in _TOKEN.findall(normalize(text)):
        if word in STOPWORDS:  # before the possessive goes: "let's" is a stop word, "let" is not
            continue
        word = word[:-2] if word.endswith("'s") else word
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            words.append(word)
    return words


def tokenize(text: str) -> list[str]:
    """BM25 terms: stemmed content words."""
    return stem(content_words(text))


def stem(words: Sequence[str]) -> list[str]:
    """BM25 terms of content words."""
    return _stemmer().stemWords(words)


class LexicalIndex:
    """BM25 over a list of texts, stored as bm25s' sparse score matrix (numpy files, no pickle)."""

    def __init__(self, retriever: object) -> None:
        self._retriever = retriever
        self.size: int = int(retriever.scores["num_docs"])  # type: ignore[attr-defined]

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]]) -> "LexicalIndex":
        """BM25 over one unit per token list."""
        builder = TokenTableBuilder()
        builder.add(token_lists)
        table = builder.build()
        every = np.arange(table.sentences)
        return cls.from_matrix(score_matrix(table, every, every))

    @classmethod
    def from_matrix(cls, matrix: ScoreMatrix) -> "LexicalIndex":
        """Serve (and save) a matrix from `index/bm25_matrix.py` with bm25s, as if bm25s had built it."""
        import bm25s

        retriever = bm25s.BM25(k1=K1, b=B)
        retriever.scores = {"data": matrix.data, "indices": matrix.indices, "indptr": matrix.indptr, "num_docs": matrix.units}
        retriever.vocab_dict = matrix.vocab
        retriever.unique_token_ids_set = set(matrix.vocab.values())
        retriever.nonoccurrence_array = None
        return cls(retriever)

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every unit for the query terms (zeros when no term is indexed)."""
        retriever = self._retriever
        ids = retriever.get_tokens_ids(list(query_terms))  # type: ignore[attr-defined]
        ids = [i for i in ids if i != retriever.vocab_dict.get("")]  # type: ignore[attr-defined]
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return retriever.get_scores(ids).astype(np.float32, copy=False)  # type: ignore[attr-defined]

    def document_frequency(self, term: str) -> int:
        """How many units contain `term` (0 when it is not in the index)."""
        retriever = self._retriever
        term_id = retriever.vocab_dict.get(term)  # type: ignore[attr-defined]
        if term_id is None:
            return 0
        indptr = retriever.scores["indptr"]  # type: ignore[attr-defined]
        return int(indptr[term_id + 1] - indptr[term_id])

    def postings(self, term: str) -> np.ndarray:
        """The units containing `term`, sorted (empty when it is not in the index)."""
        retriever = self._retriever
        term_id = retriever.vocab_dict.get(term)  # type: ignore[attr-defined]
        if term_id is None or term == "":
            return np.zeros(0, dtype=np.int64)
        indptr = retriever.scores["indptr"]  # type: ignore[attr-defined]
        ids = np.asarray(retriever.scores["indices"][indptr[term_id]:indptr[term_id + 1]], dtype=np.int64)  # type: ignore[attr-defined]
        return np.sort(ids)

    def __contains__(self, term: str) -> bool:
        return term != "" and term in self._retriever.vocab_dict  # type: ignore[attr-defined]

    def save(self, directory: Path) -> None:
        self._retriever.save(str(directory), allow_pickle=False)  # type: ignore[attr-defined]

    @classmethod
    def load(cls, directory: Path, mmap: bool = False) -> "LexicalIndex":
        import bm25s

        retriever = bm25s.BM25.load(str(directory), mmap=mmap, allow_pickle=False, load_corpus=False)
        return cls(retriever)
