"""Which vector store holds the dense levels, chosen by `VECTOR_STORE` and recorded in the manifest.

The manifest's `store` record says what was built, so the loader opens exactly that and a mismatch with
the settings is reported with a rebuild hint, like a model change:

    {"backend": "faiss", "kind": "flat" | "ivf-sq8", "ann_threshold": 50000,
     "levels": {"sentences": {"kind": "ivf-sq8", "nlist": 4096, "nprobe": 50, "vectors": 1000000,
                              "rebuild_files": ["vectors.npy"]}, ...}}
    {"backend": "qdrant", "kind": "qdrant-local" | "qdrant-server", "url": "...",
     "levels": {"sentences": {"kind": "qdrant-server", "collection": "quotebot-1a2b-sentences", ...}}}

An index written before this record existed has `{"kind": "flat"}`: FAISS, every level exact.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from index.config import Settings
from index.dense.ann import parameters_for
from index.dense.vectors import FLAT_KIND, FaissStore, VectorStore
from index.redact import public_url

FAISS = "faiss"
QDRANT = "qdrant"


def backend_of(record: dict[str, Any]) -> str:
    return str(record.get("backend", FAISS))


def describe(record: dict[str, Any]) -> str:
    """One line for the rebuild summary: the backend and each level's kind and parameters."""
    parts = []
    for level, entry in record.get("levels", {}).items():
        details = ", ".join(f"{k} {v}" for k, v in entry.items() if k in ("nlist", "nprobe", "collection"))
        parts.append(f"{level} {entry.get('kind')} ({entry.get('vectors', '?'):,} vectors{', ' + details if details else ''})")
    return f"vector store {backend_of(record)}: " + ("; ".join(parts) or str(record.get("kind")))


def level_record(record: dict[str, Any], level: str) -> dict[str, Any]:
    return dict(record.get("levels", {}).get(level, {"kind": FLAT_KIND}))


def incompatibility(record: dict[str, Any], settings: Settings) -> str:
    """Why an index with this store record cannot be served with these settings ("" when it can)."""
    backend = backend_of(record)
    if backend != settings.vector_store:
        return f"was built for VECTOR_STORE={backend}, not VECTOR_STORE={settings.vector_store}"
    if backend == QDRANT and public_url(record.get("url", "")) != public_url(settings.qdrant_url):
        where = public_url(record.get("url", "")) or "in-process (local mode)"
        return (f"keeps its vectors in Qdrant at {where}, not at "
                f"QDRANT_URL={public_url(settings.qdrant_url) or '(empty: local mode)'}")
    return ""


def store_outdated(record: dict[str, Any], settings: Settings, sizes: dict[str, int]) -> bool:
    """Whether the FAISS levels would now be built differently (ANN_THRESHOLD or the IVF parameter
    rule changed), so that a rebuild must re-index them even though no document changed. `sizes` are
    the levels' vector counts."""
    if backend_of(record) != FAISS:
        return False
    for level, count in sizes.items():
        recorded = {k: v for k, v in level_record(record, level).items() if k not in ("vectors", "rebuild_files")}
        wanted = {"kind": FLAT_KIND} if count <= settings.ann_threshold else parameters_for(count).as_dict()
        if recorded != wanted:
            return True
    return False


def rebuild_only_files(record: dict[str, Any], dense_dir: str) -> set[str]:
    """Files (relative to the version folder) that serving never reads: checked when a rebuild reuses
    them rather than on every load, where hashing gigabytes would dominate the load time."""
    return {
        f"{dense_dir}/{level}/{name}"
        for level, entry in record.get("levels", {}).items()
        for name in entry.get("rebuild_files", [])
    }


class StoreWriter:
    """Writes each dense level of a version being built and collects the manifest's store record."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.build_id = uuid.uuid4().hex[:12]
        self.levels: dict[str, dict[str, Any]] = {}
        self._client: Any = None
        if settings.vector_store == QDRANT:
            from index.dense.qdrant_store import connect

            self._client = connect(settings)

    def write(self, level: str, vectors_file: Path, directory: Path) -> None:
        """Store the level from its memory-mapped .npy (which the writer may move into `directory`)."""
        if self.settings.vector_store == QDRANT:
            from index.dense.qdrant_store import QdrantStore

            self.levels[level] = QdrantStore.write_level(
                vectors_file, directory, level, self.settings, self._client, self.build_id
            )
        else:
            self.levels[level] = FaissStore.write_level(vectors_file, directory, self.settings.ann_threshold)

    def record(self) -> dict[str, Any]:
        kinds = {entry["kind"] for entry in self.levels.values()}
        if self.settings.vector_store == QDRANT:
            return {"backend": QDRANT, "kind": kinds.pop() if len(kinds) == 1 else "mixed",
                    "url": public_url(self.settings.qdrant_url), "levels": self.levels}  # never the credentials
        kind = FLAT_KIND if kinds == {FLAT_KIND} else next(k for k in sorted(kinds) if k != FLAT_KIND)
        return {"backend": FAISS, "kind": kind, "ann_threshold": self.settings.ann_threshold, "levels": self.levels}


def open_stores(directory: Path, record: dict[str, Any], levels: tuple[str, ...], settings: Settings) -> dict[str, VectorStore]:
    """Open every dense level of a version as its manifest record says."""
    if backend_of(record) == QDRANT:
        from index.dense.qdrant_store import QdrantStore, connect

        client = connect(settings)
        return {
            level: QdrantStore.load(directory / level, level_record(record, level), level, client, settings)
            for level in levels
        }
    return {level: FaissStore.load(directory / level, level_record(record, level)) for level in levels}


def prune_unused(settings: Settings, records: list[dict[str, Any]]) -> list[str]:
    """After a swap: delete server collections that none of the kept versions (`records`) uses."""
    if settings.vector_store != QDRANT or not settings.qdrant_url:
        return []
    from index.dense.qdrant_store import connect, prune_collections

    keep = {
        str(entry.get("collection"))
        for record in records
        for entry in record.get("levels", {}).values()
        if "collection" in entry
    }
    return prune_collections(settings, connect(settings), keep)
