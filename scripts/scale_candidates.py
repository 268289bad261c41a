"""The FAISS index kinds the scale benchmark compares, besides the engine's own (`flat`, `ivf-sq8`).

Only the benchmark builds these: they are the alternatives that were measured against IVF-SQ8 before
choosing it (docs/scale.md). Each builder takes the vectors (possibly memory-mapped) and
returns a FAISS index; `search_settings` names the knob each one trades speed for recall with.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

ADD_BATCH = 65536


def _add(index: Any, vectors: np.ndarray) -> None:
    for lo in range(0, len(vectors), ADD_BATCH):
        index.add(np.ascontiguousarray(vectors[lo:lo + ADD_BATCH], dtype=np.float32))


def hnsw_sq8(vectors: np.ndarray) -> Any:
    """HNSW graph (M=32, efConstruction=40) over 8-bit scalar-quantised vectors."""
    import faiss

    index = faiss.IndexHNSWSQ(int(vectors.shape[1]), faiss.ScalarQuantizer.QT_8bit, 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 40
    sample = np.ascontiguousarray(vectors[np.sort(np.random.default_rng(0).choice(len(vectors), min(len(vectors), 100_000), replace=False))], dtype=np.float32)
    index.train(sample)
    _add(index, vectors)
    return index


def ivf_pq_refine(vectors: np.ndarray) -> Any:
    """IVF with 48-byte product codes, re-ranked by an 8-bit scalar-quantised copy (IndexRefine)."""
    import faiss

    from index.dense.ann import parameters_for, training_sample

    dim = int(vectors.shape[1])
    nlist = parameters_for(len(vectors)).nlist
    quantizer = faiss.IndexFlatIP(dim)
    base = faiss.IndexIVFPQ(quantizer, dim, nlist, 48, 8, faiss.METRIC_INNER_PRODUCT)
    base.cp.niter = 12
    base.cp.min_points_per_centroid = 1
    base.own_fields = True
    quantizer.this.disown()
    refine = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    index = faiss.IndexRefine(base, refine)
    index.own_fields = True
    index.own_refine_index = True
    base.this.disown()
    refine.this.disown()
    index.train(training_sample(vectors, nlist))
    _add(index, vectors)
    return index


BUILDERS: dict[str, Callable[[np.ndarray], Any]] = {"hnsw-sq8": hnsw_sq8, "ivf-pq-refine": ivf_pq_refine}


def search_settings(kind: str, count: int) -> list[tuple[str, int]]:
    """The (knob, value) settings swept for a kind; the engine's default comes first for ivf-sq8."""
    from index.dense.ann import parameters_for

    if kind == "hnsw-sq8":
        return [("efSearch", v) for v in (16, 64, 128, 256, 512)]
    if kind in ("ivf-sq8", "ivf-pq-refine"):
        params = parameters_for(count)
        values = sorted({params.nprobe, *(v for v in (8, 16, 32, 64, 128) if v <= params.nlist)})
        return [("nprobe", v) for v in values]
    return [("exact", 0)]


def apply_setting(index: Any, knob: str, value: int) -> None:
    """Set a search knob on a loaded index (IndexRefine: on its IVF base, re-ranking 4x the asked k)."""
    import faiss

    if knob == "exact":
        return
    if knob == "efSearch":
        faiss.downcast_index(index).hnsw.efSearch = value
        return
    if isinstance(index, faiss.IndexRefine):
        index.k_factor = 4
        faiss.extract_index_ivf(index).nprobe = value
        return
    faiss.extract_index_ivf(index).nprobe = value

