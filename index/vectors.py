"""The dense vector store: FAISS, exact inner-product search over normalised vectors.

Kept behind a small interface (`search`, `similarities`, `save`, `load`) so the retriever never
touches FAISS itself and another store can take its place.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol

import numpy as np

VECTORS_FILE = "vectors.faiss"


class VectorStore(Protocol):
    dim: int
    size: int

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, ids) of the `k` nearest vectors to one normalised query vector, best first."""
        ...

    def similarities(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Inner product of the query with the stored vectors `ids`."""
        ...

    def save(self, directory: Path) -> list[str]:
        """Write the store into `directory`; return the file names written."""
        ...


class FaissStore:
    """A FAISS `IndexFlatIP`: exact search, which is fast enough up to a few hundred thousand vectors."""

    def __init__(self, index: Any) -> None:
        self._index = index
        self.dim: int = int(index.d)
        self.size: int = int(index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, batch: int = 65536) -> "FaissStore":
        import faiss

        index = faiss.IndexFlatIP(int(vectors.shape[1]))
        for lo in range(0, len(vectors), batch):
            index.add(np.ascontiguousarray(vectors[lo:lo + batch], dtype=np.float32))
        return cls(index)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores, ids = self._index.search(query.reshape(1, -1).astype(np.float32, copy=False), k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def similarities(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        if len(ids) == 0:
            return np.zeros(0, np.float32)
        vectors = self._index.reconstruct_batch(np.asarray(ids, dtype=np.int64))
        return vectors @ query.astype(np.float32, copy=False)

    def vectors(self, lo: int, hi: int) -> np.ndarray:
        """Stored vectors `lo`..`hi`, to reuse them for unchanged documents in an incremental rebuild."""
        return self._index.reconstruct_n(lo, hi - lo)

    def save(self, directory: Path) -> list[str]:
        import faiss

        path = directory / VECTORS_FILE
        try:
            faiss.write_index(self._index, str(path))
        except RuntimeError as exc:  # FAISS reports a failed write (disk full...) as RuntimeError
            cause = re.search(r"\(([^()]+)\)\s*$", str(exc))  # "... write error in X: 9955 != 32000 (File too large)"
            raise OSError(f"could not write {path}: {cause.group(1) if cause else exc}") from exc
        return [VECTORS_FILE]

    @classmethod
    def load(cls, directory: Path) -> "FaissStore":
        import faiss

        return cls(faiss.read_index(str(directory / VECTORS_FILE)))
