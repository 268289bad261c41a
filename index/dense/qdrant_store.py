"""Qdrant as the vector store (`VECTOR_STORE=qdrant`), for corpora that outgrow one machine.

Two modes, one code path (the same qdrant-client calls: create, upload, query, retrieve):

* Server (`QDRANT_URL` set): each index version gets its own collections, named
  `<QDRANT_COLLECTION>-<build id>-<level>` and recorded in the manifest. They are created while the
  version is built, before `CURRENT` moves, and collections of versions that are no longer kept are
  deleted after the swap (`prune_collections`), like old version folders.
* Local (no `QDRANT_URL`): qdrant-client's in-process mode. Its own on-disk format pickles points and
  locks its folder to one process, so the index keeps each level's vectors in a plain `vectors.npy`
  inside the version folder (atomic with it, checksummed, no pickle) and loads them into an
  in-memory local collection when the index is opened. Meant for tests and small corpora (qdrant-client
  warns above 20,000 points); a large corpus wants a server.

qdrant-client is optional: only `VECTOR_STORE=qdrant` needs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, TypeVar

import numpy as np

from index.config import Settings
from index.dense.vectors import RAW_FILE, StoreMismatch
from index.errors import QdrantUnavailable, QdrantUnreachable, SettingError  # noqa: F401 - raised here, part of the API
from index.redact import public_url, redact

INSTALL_HINT = "pip install qdrant-client==1.20.0"
LOCAL_KIND = "qdrant-local"
SERVER_KIND = "qdrant-server"
UPLOAD_BATCH = 512
FETCH_BATCH = 1024
T = TypeVar("T")


def connect(settings: Settings) -> Any:
    """A client for the server at QDRANT_URL, or an in-process, in-memory local one."""
    try:
        from qdrant_client import QdrantClient
    except ImportError as exc:
        raise QdrantUnavailable(
            f"VECTOR_STORE=qdrant needs the qdrant-client package, which is not installed ({exc}): "
            f"run `{INSTALL_HINT}`, or set VECTOR_STORE=faiss in .env."
        ) from None
    if settings.qdrant_url:
        try:
            return QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key or None)
        except Exception as exc:  # a malformed URL: the client's message may quote it whole
            raise SettingError(
                f"QDRANT_URL={public_url(settings.qdrant_url)} cannot be used ({type(exc).__name__}: "
                f"{redact(str(exc), settings)}): fix QDRANT_URL in .env."
            ) from None
    return QdrantClient(location=":memory:")


def server_call(settings: Settings, what: str, call: Callable[[], T]) -> T:
    """Run one request to the server, turning connection failures into a message naming QDRANT_URL."""
    try:
        return call()
    except StoreMismatch:
        raise
    except Exception as exc:  # the client raises several transport and response error types
        if not settings.qdrant_url:
            raise
        raise QdrantUnreachable(
            f"The Qdrant server at QDRANT_URL={public_url(settings.qdrant_url)} failed to {what} "
            f"({type(exc).__name__}: {redact(str(exc), settings)}): "
            "start it, or fix QDRANT_URL / QDRANT_API_KEY in .env."
        ) from exc


def collection_name(settings: Settings, build_id: str, level: str) -> str:
    return f"{settings.qdrant_collection}-{build_id}-{level}"


def _create_and_upload(client: Any, name: str, vectors: np.ndarray) -> None:
    from qdrant_client import models

    client.create_collection(
        name, vectors_config=models.VectorParams(size=int(vectors.shape[1]), distance=models.Distance.DOT)
    )
    for lo in range(0, len(vectors), UPLOAD_BATCH):
        block = np.asarray(vectors[lo:lo + UPLOAD_BATCH], dtype=np.float32)
        client.upsert(
            name,
            points=models.Batch(ids=list(range(lo, lo + len(block))), vectors=block.tolist()),
            wait=True,
        )


class QdrantStore:
    """One dense level in a Qdrant collection; point ids are the level's row numbers."""

    def __init__(self, client: Any, collection: str, size: int, dim: int) -> None:
        self._client = client
        self._collection = collection
        self.size = size
        self.dim = dim

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        points = self._client.query_points(
            self._collection, query=np.asarray(query, np.float32).tolist(), limit=k, with_payload=False
        ).points
        return (np.array([p.score for p in points], dtype=np.float32), np.array([p.id for p in points], dtype=np.int64))

    def similarities(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        if len(ids) == 0:
            return np.zeros(0, np.float32)
        return self._fetch(np.asarray(ids, dtype=np.int64)) @ query.astype(np.float32, copy=False)

    def vectors(self, lo: int, hi: int) -> np.ndarray:
        return self._fetch(np.arange(lo, hi, dtype=np.int64))

    def _fetch(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of `ids`, in that order (repeats allowed)."""
        wanted = np.unique(ids)
        found: dict[int, list[float]] = {}
        for lo in range(0, len(wanted), FETCH_BATCH):
            batch = [int(i) for i in wanted[lo:lo + FETCH_BATCH]]
            for point in self._client.retrieve(self._collection, ids=batch, with_vectors=True, with_payload=False):
                found[int(point.id)] = point.vector
        missing = [int(i) for i in wanted if int(i) not in found]
        if missing:
            raise StoreMismatch(f"Qdrant collection {self._collection} lacks points {missing[:5]}")
        return np.array([found[int(i)] for i in ids], dtype=np.float32).reshape(len(ids), self.dim)

    @classmethod
    def write_level(
        cls, vectors_file: Path, directory: Path, level: str, settings: Settings, client: Any, build_id: str
    ) -> dict[str, Any]:
        """Store a level: upload to a new server collection, or keep the .npy for the local mode."""
        vectors = np.load(vectors_file, mmap_mode="r", allow_pickle=False)
        count, dim = int(vectors.shape[0]), int(vectors.shape[1])
        directory.mkdir(parents=True, exist_ok=True)
        if settings.qdrant_url:
            name = collection_name(settings, build_id, level)
            server_call(settings, f"store {count:,} vectors in collection {name}",
                        lambda: _create_and_upload(client, name, vectors))
            return {"kind": SERVER_KIND, "collection": name, "vectors": count, "dim": dim}
        del vectors
        vectors_file.replace(directory / RAW_FILE)
        return {"kind": LOCAL_KIND, "vectors": count, "dim": dim}

    @classmethod
    def load(
        cls, directory: Path, record: dict[str, Any], level: str, client: Any, settings: Settings
    ) -> "QdrantStore":
        """Open a level: check the server collection is there and complete, or fill a local one."""
        kind = record.get("kind")
        count, dim = int(record.get("vectors", -1)), int(record.get("dim", -1))
        if kind == SERVER_KIND:
            name = str(record.get("collection"))
            if not server_call(settings, "answer", lambda: client.collection_exists(name)):
                raise StoreMismatch(f"the Qdrant collection {name} is missing on the server (deleted, or another QDRANT_URL?)")
            stored = server_call(settings, "count points", lambda: client.count(name, exact=True).count)
            if stored != count:
                raise StoreMismatch(f"the Qdrant collection {name} holds {stored} points, the manifest {count}")
            return cls(client, name, count, dim)
        if kind != LOCAL_KIND:
            raise StoreMismatch(f"{directory}: the manifest records {kind!r}, not a Qdrant store kind (store kind tampered?)")
        vectors = np.load(directory / RAW_FILE, allow_pickle=False)
        if vectors.shape != (count, dim) or vectors.dtype != np.float32:
            raise StoreMismatch(f"{directory / RAW_FILE} has shape {vectors.shape}, the manifest records {(count, dim)}")
        _create_and_upload(client, level, vectors)
        return cls(client, level, count, dim)


def prune_collections(settings: Settings, client: Any, keep: set[str]) -> list[str]:
    """Delete this index's server collections (by QDRANT_COLLECTION prefix) that no kept version uses."""
    prefix = f"{settings.qdrant_collection}-"
    removed = []
    for collection in server_call(settings, "list collections", lambda: client.get_collections()).collections:
        if collection.name.startswith(prefix) and collection.name not in keep:
            client.delete_collection(collection.name)
            removed.append(collection.name)
    return removed
