"""BM25 score matrices computed with numpy from token ids, in the layout bm25s stores and searches.

bm25s builds its matrix from one Python list of token strings per unit, about 60 bytes a token, and a
rebuild needs five such levels (sentences, windows, wider windows, paragraphs, documents), most of
them overlapping copies of the same sentences. Here every sentence's terms are ids in one flat int32
array (`TokenTable`), a unit of any level is a run of consecutive sentences (plus, for documents, the
terms of its file name), and the (unit, term, frequency) triples are counted in bounded chunks of
units. Scores follow bm25s's Lucene variant step for step (idf `log(1 + (N - df + 0.5) / (df + 0.5))`
rounded to float32, term-frequency part in float64, product rounded to float32), so the matrices are
the ones `bm25s.BM25.index` would build; `tests/test_lexical.py` compares them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

import numpy as np

K1 = 1.2
B = 0.75
EMPTY_TERM = ""
"""bm25s keeps an empty term at id 0 so that a unit without terms still has a row."""
CHUNK_TOKENS = 1_000_000
"""Token occurrences expanded at a time when counting a level (tens of MB of working arrays)."""


@dataclass
class TokenTable:
    """Every sentence's BM25 terms as ids into one vocabulary (ids in order of first appearance)."""

    terms: list[str]
    ids: np.ndarray
    offsets: np.ndarray
    """Sentence `i` holds `ids[offsets[i]:offsets[i + 1]]`."""

    @property
    def sentences(self) -> int:
        return len(self.offsets) - 1


@dataclass
class TokenTableBuilder:
    """Collects sentences' terms document by document, keeping only ids."""

    vocab: dict[str, int] = field(default_factory=lambda: {EMPTY_TERM: 0})
    _ids: list[np.ndarray] = field(default_factory=list)
    _lengths: list[np.ndarray] = field(default_factory=list)

    def add(self, token_lists: Iterable[Sequence[str]]) -> None:
        """Append the terms of consecutive sentences (one document, or any batch)."""
        vocab = self.vocab
        flat: list[int] = []
        lengths: list[int] = []
        for tokens in token_lists:
            flat.extend(vocab.setdefault(token, len(vocab)) for token in tokens)
            lengths.append(len(tokens))
        self._ids.append(np.array(flat, dtype=np.int32))
        self._lengths.append(np.array(lengths, dtype=np.int64))

    def build(self) -> TokenTable:
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int64)
        ids = np.concatenate(self._ids) if self._ids else np.zeros(0, np.int32)
        return TokenTable(terms=list(self.vocab), ids=ids, offsets=np.r_[0, np.cumsum(lengths)].astype(np.int64))


@dataclass
class ScoreMatrix:
    """A level's BM25 scores as bm25s keeps them: CSC over (units x terms) and the term -> column map."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    units: int
    vocab: dict[str, int]


def score_matrix(
    table: TokenTable,
    first: np.ndarray,
    last: np.ndarray,
    extras: Sequence[Sequence[str]] | None = None,
    k1: float = K1,
    b: float = B,
) -> ScoreMatrix:
    """BM25 of units made of the sentences `first[u]..last[u]` of `table` (inclusive), each followed by
    the terms `extras[u]` when given. The vocabulary lists terms in order of first appearance, as
    bm25s would number them reading the units' terms in order.

    Two passes over the units, chunk by chunk: the first counts document frequencies, the second
    writes each score straight into its place in the CSC arrays; memory is the matrix itself plus one
    chunk's working arrays, never a list of all (unit, term) pairs."""
    units = len(first)
    vocab, column_of_id, extra_ids = _level_vocabulary(table, first, last, extras)
    runs = _Runs(table, table.offsets[first], table.offsets[last + 1], column_of_id, extra_ids, len(vocab))

    df = np.zeros(len(vocab), dtype=np.int64)
    for _, terms, _ in runs.pairs():
        df += np.bincount(terms, minlength=len(vocab))
    idf = np.zeros(len(vocab), dtype=np.float32)
    for term in np.flatnonzero(df).tolist():
        idf[term] = math.log(1 + (units - int(df[term]) + 0.5) / (int(df[term]) + 0.5))
    average_length = runs.lengths.mean() if units else 0.0

    indptr = np.r_[0, np.cumsum(df)].astype(np.int64)
    data = np.empty(int(indptr[-1]), dtype=np.float32)
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    filled = indptr[:-1].copy()  # next free slot of each term's column
    for unit_ids, terms, counts in runs.pairs():
        tf = counts.astype(np.float32)
        saturation = k1 * ((1 - b) + b * runs.lengths[unit_ids] / average_length)
        scores = (idf[terms] * (tf / (saturation + tf))).astype(np.float32)
        order = np.argsort(terms, kind="stable")  # by term; units stay ascending within a term
        sorted_terms = terms[order]
        rank = np.arange(len(order)) - np.searchsorted(sorted_terms, sorted_terms, side="left")
        slots = filled[sorted_terms] + rank
        data[slots] = scores[order]
        indices[slots] = unit_ids[order]
        filled += np.bincount(terms, minlength=len(vocab))
    return ScoreMatrix(data=data, indices=indices, indptr=indptr, units=units, vocab=vocab)


def _level_vocabulary(
    table: TokenTable, first: np.ndarray, last: np.ndarray, extras: Sequence[Sequence[str]] | None
) -> tuple[dict[str, int], np.ndarray, list[np.ndarray]]:
    """The level's term -> column map in order of first appearance, the column of each table id, and
    the columns of each unit's extra terms. Without extras the table's own numbering is that order."""
    if extras is None:
        return {term: i for i, term in enumerate(table.terms)}, np.arange(len(table.terms), dtype=np.int32), []
    vocab: dict[str, int] = {EMPTY_TERM: 0}
    column_of_id = np.zeros(len(table.terms), dtype=np.int32)
    extra_ids: list[np.ndarray] = []
    # Ids are numbered by first appearance and units run in sentence order, so the ids new in a unit
    # are those above every id of the units before it.
    seen = 0
    for unit, (start, end) in enumerate(zip(first.tolist(), last.tolist())):
        extra_ids.append(np.array([vocab.setdefault(term, len(vocab)) for term in extras[unit]], dtype=np.int32))
        span = table.ids[table.offsets[start]:table.offsets[end + 1]]
        newest = int(span.max()) + 1 if len(span) else 0
        for term_id in range(seen, max(seen, newest)):
            column_of_id[term_id] = vocab.setdefault(table.terms[term_id], len(vocab))
        seen = max(seen, newest)
    return vocab, column_of_id, extra_ids


class _Runs:
    """The units of one level as runs of the token table (plus extra terms), walked in chunks."""

    def __init__(
        self, table: TokenTable, starts: np.ndarray, ends: np.ndarray, column_of_id: np.ndarray,
        extra_ids: list[np.ndarray], vocab_size: int,
    ) -> None:
        self.table, self.starts, self.ends, self.column_of_id = table, starts, ends, column_of_id
        self.extra_ids, self.vocab_size = extra_ids, vocab_size
        extra_lengths = np.array([len(e) for e in extra_ids], dtype=np.int64) if extra_ids else 0
        self.lengths: np.ndarray = (ends - starts) + extra_lengths
        """Terms per unit, repeats included: BM25's document length."""

    def pairs(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(unit, column, count) of every distinct term of every unit, by unit then column, a chunk of
        about `CHUNK_TOKENS` term occurrences at a time."""
        cumulative = np.cumsum(self.lengths)
        lo = 0
        while lo < len(self.lengths):
            budget = (cumulative[lo - 1] if lo else 0) + CHUNK_TOKENS
            hi = max(lo + 1, int(np.searchsorted(cumulative, budget, side="right")))
            unit_of, term_of = self._occurrences(lo, hi)
            unique, counts = np.unique(unit_of * self.vocab_size + term_of, return_counts=True)
            yield unique // self.vocab_size, unique % self.vocab_size, counts
            lo = hi

    def _occurrences(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """(unit, column) of every term occurrence in units `lo`..`hi`."""
        starts, lengths = self.starts[lo:hi], (self.ends - self.starts)[lo:hi]
        unit_of = np.repeat(np.arange(lo, hi, dtype=np.int64), lengths)
        # Positions starts[u], starts[u] + 1, ... of each unit, without a Python loop.
        positions = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths - starts, lengths)
        term_of = self.column_of_id[self.table.ids[positions]].astype(np.int64)
        extras = self.extra_ids[lo:hi]
        if extras and sum(len(e) for e in extras):
            unit_of = np.r_[unit_of, np.repeat(np.arange(lo, hi, dtype=np.int64), [len(e) for e in extras])]
            term_of = np.r_[term_of, np.concatenate(extras).astype(np.int64)]
        return unit_of, term_of
