"""BM25 (bm25s) over retrieval units; the score matrices themselves are computed by
`index/lexical/matrix.py`.

Names such as "Abrams" or "Tokola" are where dense embeddings are weakest and exact term matching is
strongest, so every question is scored both ways.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from index.lexical.matrix import K1, B, ScoreMatrix, TokenTableBuilder, score_matrix


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
        """Serve (and save) a matrix from `index/lexical/matrix.py` with bm25s, as if bm25s had built it."""
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
