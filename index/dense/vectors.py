"""The dense vector store interface, and FAISS, the embedded default behind it.

Kept behind a small interface (`search`, `similarities`, `vectors`) so the retriever never touches
FAISS itself and another store (Qdrant, `index/dense/qdrant_store.py`) can take its place.

FAISS keeps a level exact (`IndexFlatIP`, file `vectors.faiss`) up to `ANN_THRESHOLD` vectors, and above
it switches to IVF-SQ8 (`ann.faiss`, see `index/dense/ann.py`), which is compressed and therefore lossy; the
exact float32 vectors are then kept beside it in `vectors.npy`, which serving never reads: an
incremental rebuild copies unchanged documents' vectors from it bit for bit.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.dense.ann import KIND as ANN_KIND
from index.dense.ann import build_ivf_sq8, describe_index, parameters_for

VECTORS_FILE = "vectors.faiss"
ANN_FILE = "ann.faiss"
RAW_FILE = "vectors.npy"
FLAT_KIND = "flat"


class StoreMismatch(ValueError):
    """A store's files are not what the manifest says they are (another kind, size or parameters)."""


class VectorStore(Protocol):
    dim: int
    size: int

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, ids) of the `k` nearest vectors to one normalised query vector, best first."""
        ...

    def similarities(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Inner product of the query with the stored vectors `ids`."""
        ...

    def vectors(self, lo: int, hi: int) -> np.ndarray:
        """Stored vectors `lo`..`hi`, to reuse them for unchanged documents in an incremental rebuild."""
        ...


class FaissStore:
    """One dense level in FAISS: exact `IndexFlatIP`, or IVF-SQ8 above the ANN threshold."""

    def __init__(self, index: Any, raw: np.ndarray | None = None) -> None:
        self._index = index
        self._raw = raw
        self.dim: int = int(index.d)
        self.size: int = int(index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, batch: int = 65536) -> "FaissStore":
        """An exact store of `vectors` (in memory; `write_level` is what the builder uses)."""
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
        if self._raw is not None:
            return np.array(self._raw[lo:hi], dtype=np.float32)
        return self._index.reconstruct_n(lo, hi - lo)

    @classmethod
    def write_level(cls, vectors_file: Path, directory: Path, ann_threshold: int) -> dict[str, Any]:
        """Build the level from the memory-mapped `vectors_file` into `directory`; return its manifest
        record. Above the threshold the file itself is moved in as the exact copy (no second write)."""
        vectors = np.load(vectors_file, mmap_mode="r", allow_pickle=False)
        count = len(vectors)
        directory.mkdir(parents=True, exist_ok=True)
        if count <= ann_threshold:
            _write_index(cls.build(vectors)._index, directory / VECTORS_FILE)
            del vectors
            return {"kind": FLAT_KIND, "vectors": count}
        parameters = parameters_for(count)
        _write_index(build_ivf_sq8(vectors, parameters), directory / ANN_FILE)
        del vectors
        vectors_file.replace(directory / RAW_FILE)
        return {**parameters.as_dict(), "vectors": count, "rebuild_files": [RAW_FILE]}

    @classmethod
    def load(cls, directory: Path, record: dict[str, Any] | None = None) -> "FaissStore":
        """Open a level written by `write_level`, checking it is the kind, size and parameters that
        `record` (from the manifest) says; an old manifest without per-level records means flat."""
        import faiss

        record = record or {"kind": FLAT_KIND}
        kind = record.get("kind")
        if kind not in (FLAT_KIND, ANN_KIND):
            raise StoreMismatch(f"{directory}: the manifest records an unknown FAISS store kind {kind!r}")
        name = VECTORS_FILE if kind == FLAT_KIND else ANN_FILE
        if not (directory / name).is_file():
            raise StoreMismatch(f"{directory} has no {name}, which a {kind} store needs (store kind tampered?)")
        index = faiss.read_index(str(directory / name))
        found = describe_index(index)
        expected = {k: v for k, v in record.items() if k not in ("vectors", "rebuild_files")}
        if found != expected:
            raise StoreMismatch(f"{directory / name} is {found}, but the manifest records {expected}")
        if "vectors" in record and int(index.ntotal) != record["vectors"]:
            raise StoreMismatch(f"{directory / name} holds {index.ntotal} vectors, the manifest {record['vectors']}")
        raw = None
        if kind == ANN_KIND:
            raw = np.load(directory / RAW_FILE, mmap_mode="r", allow_pickle=False)
            if raw.shape != (int(index.ntotal), int(index.d)) or raw.dtype != np.float32:
                raise StoreMismatch(f"{directory / RAW_FILE} has shape {raw.shape}, not that of {directory / name}")
        return cls(index, raw)


def _write_index(index: Any, path: Path) -> None:
    """`faiss.write_index`, with a failed write (disk full, file-size limit) raised as the OSError it is."""
    import faiss

    try:
        faiss.write_index(index, str(path))
    except RuntimeError as exc:  # FAISS reports a failed write as RuntimeError
        cause = re.search(r"\(([^()]+)\)\s*$", str(exc))  # "... write error in X: 9955 != 32000 (File too large)"
        raise OSError(f"could not write {path}: {cause.group(1) if cause else exc}") from exc
