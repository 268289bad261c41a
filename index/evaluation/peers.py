"""The two peers every quality figure is measured beside: what a first build would do.

* **naive dense**: every document cut into 500-character chunks (50 characters of overlap), each chunk
  embedded with the same model and searched in a flat FAISS inner-product index;
* **BM25**: the same chunks ranked by BM25 (bm25s, English stop words).

Each chunk is quoted as it stands (`text == document[start:end]`), the peers never abstain, and they
know nothing of the engine's units, features or rules: they are the bar the engine must clear. Used by
`index/evaluation/suite.py`; nothing here is on the answering path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.answer import Answer, Quote
from index.dense.model import Encoder

CHUNK_CHARS = 500
CHUNK_OVERLAP = 50


@dataclass(frozen=True)
class Chunk:
    doc: str
    start: int
    end: int


def chunk_documents(documents: dict[str, str], size: int = CHUNK_CHARS, overlap: int = CHUNK_OVERLAP) -> list[Chunk]:
    """Fixed-size character chunks of every document, each `overlap` characters into the previous one."""
    chunks = []
    step = size - overlap
    for doc, text in documents.items():
        start = 0
        while start < len(text):
            end = min(start + size, len(text))
            if text[start:end].strip():
                chunks.append(Chunk(doc, start, end))
            if end == len(text):
                break
            start += step
    return chunks


class ChunkPeers:
    """Both peers over one corpus: build once, then ask either."""

    def __init__(self, documents: dict[str, str], encoder: Encoder) -> None:
        import bm25s
        import faiss

        self.documents = documents
        self.encoder = encoder
        self.chunks = chunk_documents(documents)
        texts = [documents[c.doc][c.start:c.end] for c in self.chunks]
        vectors = encoder.encode(texts)
        self.dense = faiss.IndexFlatIP(vectors.shape[1])
        self.dense.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self.bm25 = bm25s.BM25()
        self.bm25.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)

    def _answer(self, question: str, ranked: list[tuple[int, float]]) -> Answer:
        quotes = []
        for row, score in ranked:
            chunk = self.chunks[row]
            text = self.documents[chunk.doc][chunk.start:chunk.end]
            line = self.documents[chunk.doc].count("\n", 0, chunk.start) + 1
            quotes.append(Quote(chunk.doc, chunk.start, chunk.end, text, float(score), line, 0, (0, len(text))))
        return Answer(question, bool(quotes), quotes)

    def answer_dense(self, question: str, k: int = 3) -> Answer:
        vector = self.encoder.encode([question], batch_size=1)
        scores, rows = self.dense.search(np.ascontiguousarray(vector, dtype=np.float32), min(k, len(self.chunks)))
        return self._answer(question, [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0])

    def answer_bm25(self, question: str, k: int = 3) -> Answer:
        import bm25s

        words = bm25s.tokenize([question], stopwords="en", return_ids=False, show_progress=False)[0]
        scores = self.bm25.get_scores(words) if words else np.zeros(len(self.chunks))
        order = np.argsort(-scores, kind="stable")[:k]
        return self._answer(question, [(int(r), float(scores[r])) for r in order])

