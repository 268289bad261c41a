"""The measured child processes of the scale benchmark: one builds a store, one serves it.

Each runs alone in a fresh process so that its peak memory (`ru_maxrss`) is its own: the serving
figure is what a process that loads the store and answers queries holds, interpreter and FAISS
included. Prints one JSON object on stdout.

    python scripts/scale_worker.py build --kind KIND --vectors FILE.npy --out DIR
    python scripts/scale_worker.py serve --kind KIND --store DIR --queries Q.npy --truth T.npy [--k 100]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

RECORD_FILE = "record.json"
ENGINE_KINDS = ("flat", "ivf-sq8")


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: ru_maxrss survives exec, so a child
    would report its parent's peak if that was higher."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(kind: str, vectors_file: Path, out: Path) -> dict:
    """Build a store of `kind` from a .npy of vectors, the way the engine's builder does for its kinds."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if kind in ENGINE_KINDS:
        from index.dense.vectors import FaissStore

        staged = out / "staged.npy"  # write_level moves its input in as the exact copy: give it a link
        staged.unlink(missing_ok=True)
        os.link(vectors_file, staged)
        record = FaissStore.write_level(staged, out, ann_threshold=2**62 if kind == "flat" else 0)
        staged.unlink(missing_ok=True)
    else:
        import faiss
        from scale_candidates import BUILDERS

        vectors = np.load(vectors_file, mmap_mode="r", allow_pickle=False)
        faiss.write_index(BUILDERS[kind](vectors), str(out / "ann.faiss"))
        record = {"kind": kind, "vectors": len(vectors)}
    seconds = time.perf_counter() - started
    (out / RECORD_FILE).write_text(json.dumps(record), encoding="utf-8")
    return {"record": record, "build_s": seconds, "build_peak_mb": peak_rss_mb()}


def _open(kind: str, store: Path):  # noqa: ANN202 - returns (VectorStore, faiss index)
    from index.dense.vectors import FaissStore

    record = json.loads((store / RECORD_FILE).read_text(encoding="utf-8"))
    if kind in ENGINE_KINDS:
        opened = FaissStore.load(store, record)
        return opened, opened._index
    import faiss

    index = faiss.read_index(str(store / "ann.faiss"))
    return FaissStore(index), index


def _checksum_served_files(store: Path) -> None:
    """What opening an index does first for a store: SHA-256 of every file serving reads."""
    from index.storage.fsutil import sha256_file

    record = json.loads((store / RECORD_FILE).read_text(encoding="utf-8"))
    skip = {RECORD_FILE, "build.json", *record.get("rebuild_files", [])}
    for file in sorted(store.iterdir()):
        if file.is_file() and file.name not in skip:
            sha256_file(file)


def serve(kind: str, store: Path, queries_file: Path, truth_file: Path, k: int) -> dict:
    """Load the store, then answer every query alone (as the engine does), once per search setting."""
    import faiss
    from scale_candidates import apply_setting, search_settings

    faiss.omp_set_num_threads(1)  # one question at a time uses one core; the other serves the next
    queries = np.load(queries_file, allow_pickle=False)
    truth = np.load(truth_file, allow_pickle=False)
    started = time.perf_counter()
    _checksum_served_files(store)
    verify_s = time.perf_counter() - started
    started = time.perf_counter()
    opened, index = _open(kind, store)
    load_s = time.perf_counter() - started
    results = []
    for knob, value in search_settings(kind, opened.size):
        apply_setting(index, knob, value)
        for query in queries[:50]:  # warm-up: page in what the searches touch
            opened.search(query, k)
        latencies, hits = [], 0
        for query, exact in zip(queries, truth):
            t = time.perf_counter()
            _, ids = opened.search(query, k)
            latencies.append(time.perf_counter() - t)
            hits += len(np.intersect1d(ids[:10], exact[:10]))
        latencies_ms = np.array(latencies) * 1000
        results.append({
            "knob": knob, "value": value,
            "p50_ms": float(np.percentile(latencies_ms, 50)), "p95_ms": float(np.percentile(latencies_ms, 95)),
            "recall10": hits / (10 * len(queries)),
        })
    return {"load_s": load_s, "verify_s": verify_s, "serve_peak_mb": peak_rss_mb(), "settings": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("build", "serve"))
    parser.add_argument("--kind", required=True)
    parser.add_argument("--vectors", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--queries", type=Path)
    parser.add_argument("--truth", type=Path)
    parser.add_argument("--k", type=int, default=100)
    args = parser.parse_args(argv)
    if args.mode == "build":
        result = build(args.kind, args.vectors, args.out)
    else:
        result = serve(args.kind, args.store, args.queries, args.truth, args.k)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
