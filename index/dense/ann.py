"""Approximate search for large dense levels: FAISS IVF with 8-bit scalar quantisation (IVF-SQ8).

Why this kind (measured with `scripts/bench.py --scale`, table in docs/scale.md): at 1,000,000 MiniLM vectors
exact search reads 1.5 GB per query; IVF-SQ8 keeps one byte per dimension (a quarter of the memory),
scans only the `nprobe` closest of `nlist` clusters, and with a direct map still reconstructs any stored
vector, which `similarities` needs. HNSW-SQ8 stayed under recall@10 0.95 at 1M and adds its graph to
the memory; IVF-PQ needs a refinement copy as large as the SQ8 codes to reach the target, builds
longer and levels off at a lower recall, though it was a little faster per query.

Parameters grow with the number of vectors and are recorded in the manifest:
`nlist` about 4 * sqrt(n) clusters (never fewer than 39 training vectors per cluster), and `nprobe`
a fixed share of them, so that recall stays level from a few hundred vectors to millions.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

KIND = "ivf-sq8"
MIN_POINTS_PER_CLUSTER = 39
"""FAISS's k-means wants at least this many training vectors per cluster."""
TRAIN_POINTS_PER_CLUSTER = 40
KMEANS_ITERATIONS = 12
NPROBE_SHARE = 0.012
MIN_NPROBE = 32
ADD_BATCH = 65536


@dataclass(frozen=True)
class IvfParameters:
    """What the manifest records about an IVF-SQ8 level, and what the loader checks the file against."""

    nlist: int
    nprobe: int
    kind: str = KIND

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parameters_for(count: int) -> IvfParameters:
    """Cluster count and probes for `count` vectors (see the module docstring)."""
    nlist = max(1, min(int(round(4 * math.sqrt(count))), count // MIN_POINTS_PER_CLUSTER))
    nprobe = min(nlist, max(MIN_NPROBE, int(math.ceil(NPROBE_SHARE * nlist))))
    return IvfParameters(nlist=nlist, nprobe=nprobe)


def training_sample(vectors: np.ndarray, nlist: int, seed: int = 0) -> np.ndarray:
    """A seeded random sample big enough for k-means, read from a (memory-mapped) array in order."""
    count = len(vectors)
    wanted = min(count, max(nlist * TRAIN_POINTS_PER_CLUSTER, 1))
    if wanted == count:
        return np.ascontiguousarray(vectors, dtype=np.float32)
    rows = np.sort(np.random.default_rng(seed).choice(count, size=wanted, replace=False))
    return np.ascontiguousarray(vectors[rows], dtype=np.float32)


def build_ivf_sq8(vectors: np.ndarray, parameters: IvfParameters) -> Any:
    """Train and fill an inner-product IVF-SQ8 index with a direct map (so any row can be reconstructed)."""
    import faiss

    dim = int(vectors.shape[1])
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, parameters.nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.cp.niter = KMEANS_ITERATIONS
    index.cp.seed = 1234
    index.cp.min_points_per_centroid = 1  # the sample is sized on purpose; no warning
    index.train(training_sample(vectors, parameters.nlist))
    index.own_fields = True
    quantizer.this.disown()
    for lo in range(0, len(vectors), ADD_BATCH):
        index.add(np.ascontiguousarray(vectors[lo:lo + ADD_BATCH], dtype=np.float32))
    index.make_direct_map()
    index.nprobe = parameters.nprobe
    return index


def describe_index(index: Any) -> dict[str, Any]:
    """What a loaded FAISS index is, in the manifest's terms, to catch a file that does not match it."""
    import faiss

    if isinstance(index, faiss.IndexFlatIP):
        return {"kind": "flat"}
    if isinstance(index, faiss.IndexIVFScalarQuantizer):
        return IvfParameters(nlist=int(index.nlist), nprobe=int(index.nprobe)).as_dict()
    return {"kind": type(index).__name__}
