"""Scale benchmark of the dense store: `python scripts/bench.py --scale N [--kinds ...]`.

For N synthetic passage vectors (384-d, derived from real MiniLM embeddings: `scale_data.py`) it builds
each store kind once (saved under var/bench-scale/, reused by later runs), then a separate serving
process loads it and answers 1,000 real SQuAD question vectors one at a time with k=100 (as the
engine does), and prints build time, peak memory of building and of serving, size on disk, load time,
search p50/p95 and recall@10 against exact search. Results are kept in var/bench-scale/results.json
for `--plot`. `--lexical` measures BM25 at the same size.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from scale_data import DEFAULT_CACHE, find_squad, real_embeddings, synthetic_passages  # noqa: E402

QUERIES = 1000
TRUTH_K = 10
TRUTH_CHUNK = 32768


def passages_file(cache: Path, n: int, bases: np.ndarray, articles: np.ndarray) -> Path:
    """The N synthetic passages as a .npy (generated once per size)."""
    path = cache / f"passages-{n}.npy"
    if not path.is_file():
        print(f"generating {n:,} synthetic passages into {path}", file=sys.stderr)
        temp = path.with_suffix(".tmp.npy")
        out = np.lib.format.open_memmap(temp, mode="w+", dtype=np.float32, shape=(n, bases.shape[1]))
        synthetic_passages(n, bases, articles, out)
        out.flush()
        del out
        temp.replace(path)
    return path


def exact_truth(cache: Path, n: int, passages: Path, queries: np.ndarray) -> Path:
    """Exact top-10 ids of every query (brute force over the passages, in chunks)."""
    path = cache / f"truth-{n}-{len(queries)}.npy"
    if path.is_file():
        return path
    print(f"exact top-{TRUTH_K} of {len(queries)} queries over {n:,} passages", file=sys.stderr)
    vectors = np.load(passages, mmap_mode="r", allow_pickle=False)
    best_scores = np.full((len(queries), TRUTH_K), -np.inf, np.float32)
    best_ids = np.zeros((len(queries), TRUTH_K), np.int64)
    for lo in range(0, n, TRUTH_CHUNK):
        block = np.asarray(vectors[lo:lo + TRUTH_CHUNK], dtype=np.float32)
        scores = np.concatenate([best_scores, queries @ block.T], axis=1)
        ids = np.concatenate([best_ids, np.broadcast_to(np.arange(lo, lo + len(block)), (len(queries), len(block)))], axis=1)
        top = np.argpartition(-scores, TRUTH_K - 1, axis=1)[:, :TRUTH_K]
        best_scores = np.take_along_axis(scores, top, axis=1)
        best_ids = np.take_along_axis(ids, top, axis=1)
    order = np.argsort(-best_scores, axis=1)
    np.save(path, np.take_along_axis(best_ids, order, axis=1), allow_pickle=False)
    return path


def _worker(*args: str) -> dict:
    result = subprocess.run([sys.executable, str(HERE / "scale_worker.py"), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"scale_worker.py {args[0]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def disk_sizes(store: Path, record: dict) -> tuple[int, int]:
    """(bytes that serving reads, bytes kept only for incremental rebuilds) of a built store."""
    rebuild_only = set(record.get("rebuild_files", []))
    serving = extra = 0
    for file in store.iterdir():
        if file.name in ("record.json", "build.json"):
            continue
        if file.name in rebuild_only:
            extra += file.stat().st_size
        else:
            serving += file.stat().st_size
    return serving, extra


def measure(n: int, kind: str, cache: Path, passages: Path, queries_file: Path, truth: Path, fresh: bool) -> dict:
    store = cache / f"store-{n}-{kind}"
    build_file = store / "build.json"
    if fresh or not build_file.is_file():
        print(f"building {kind} over {n:,} passages (once; saved in {store})", file=sys.stderr)
        built = _worker("build", "--kind", kind, "--vectors", str(passages), "--out", str(store))
        build_file.write_text(json.dumps(built), encoding="utf-8")
    built = json.loads(build_file.read_text(encoding="utf-8"))
    served = _worker("serve", "--kind", kind, "--store", str(store), "--queries", str(queries_file), "--truth", str(truth))
    serving_bytes, rebuild_bytes = disk_sizes(store, built["record"])
    return {"n": n, "kind": kind, **built, **served, "disk_serving_mb": serving_bytes / 2**20,
            "disk_rebuild_mb": rebuild_bytes / 2**20, "measured": time.strftime("%Y-%m-%d %H:%M")}


def describe(result: dict) -> str:
    record = result["record"]
    params = ", ".join(f"{k} {v}" for k, v in record.items() if k in ("nlist", "nprobe"))
    lines = [
        f"{result['n']:>9,} {result['kind']}{f' ({params})' if params else ''}: build {result['build_s']:.1f} s "
        f"(peak {result['build_peak_mb']:.0f} MB), disk {result['disk_serving_mb']:.0f} MB served"
        + (f" + {result['disk_rebuild_mb']:.0f} MB exact copy for rebuilds" if result["disk_rebuild_mb"] else "")
        + f", load {result['load_s']:.2f} s (+ checksums {result.get('verify_s', 0):.2f} s), "
        f"serving peak RSS {result['serve_peak_mb']:.0f} MB"
    ]
    for s in result["settings"]:
        knob = "" if s["knob"] == "exact" else f"{s['knob']} {s['value']:>3}: "
        lines.append(f"    {knob}search p50 {s['p50_ms']:.2f} ms, p95 {s['p95_ms']:.2f} ms, recall@10 {s['recall10']:.3f}")
    return "\n".join(lines)


def save_result(results_file: Path, result: dict) -> None:
    results = json.loads(results_file.read_text(encoding="utf-8")) if results_file.is_file() else []
    results = [r for r in results if not (r.get("n") == result["n"] and r.get("kind") == result["kind"])]
    results.append(result)
    results.sort(key=lambda r: (r.get("kind", ""), r.get("n", 0)))
    results_file.parent.mkdir(parents=True, exist_ok=True)
    results_file.write_text(json.dumps(results, indent=1), encoding="utf-8")


def default_kinds(n: int) -> list[str]:
    from index.config import Settings

    return ["flat", "ivf-sq8"] if n <= 300_000 else ["ivf-sq8"] if n > Settings().ann_threshold else ["flat"]


def run(n: int, kinds: list[str] | None, cache: Path, results_file: Path, fresh: bool, squad: Path | None) -> list[dict]:
    cache.mkdir(parents=True, exist_ok=True)
    bases, articles, questions = real_embeddings(cache, find_squad(squad))
    queries_file = cache / f"queries-{QUERIES}.npy"
    if not queries_file.is_file():
        np.save(queries_file, questions[:QUERIES], allow_pickle=False)
    passages = passages_file(cache, n, bases, articles)
    truth = exact_truth(cache, n, passages, questions[:QUERIES])
    measured = []
    for kind in kinds or default_kinds(n):
        result = measure(n, kind, cache, passages, queries_file, truth, fresh)
        save_result(results_file, result)
        print(describe(result), flush=True)
        measured.append(result)
    return measured


def lexical(n: int, cache: Path, results_file: Path, fresh: bool) -> dict:
    """BM25 (one level, the engine's LexicalIndex) over n synthetic passages: build once, then serve."""
    out = cache / f"lexical-{n}"
    build_file = cache / f"lexical-{n}.json"
    script = HERE / "scale_lexical.py"
    if fresh or not build_file.is_file():
        print(f"building BM25 over {n:,} synthetic passages (once; saved in {out})", file=sys.stderr)
        done = subprocess.run([sys.executable, str(script), "build", "--n", str(n), "--out", str(out)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"scale_lexical.py build failed:\n{done.stderr[-3000:]}")
        build_file.write_text(done.stdout.strip().splitlines()[-1], encoding="utf-8")
    built = json.loads(build_file.read_text(encoding="utf-8"))
    done = subprocess.run([sys.executable, str(script), "serve", "--out", str(out)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"scale_lexical.py serve failed:\n{done.stderr[-3000:]}")
    result = {**built, **json.loads(done.stdout.strip().splitlines()[-1]), "kind": "bm25",
              "measured": time.strftime("%Y-%m-%d %H:%M")}
    save_result(results_file, result)
    print(f"{n:>9,} bm25 (sentence level): build {result['build_s']:.1f} s (peak {result['build_peak_mb']:.0f} MB), "
          f"disk {result['disk_mb']:.0f} MB, load {result['load_s']:.2f} s (memory-mapped), serving peak RSS "
          f"{result['serve_peak_mb']:.0f} MB, scoring every passage for one question p50 {result['p50_ms']:.2f} ms, "
          f"p95 {result['p95_ms']:.2f} ms", flush=True)
    return result


def default_results(cache: Path = DEFAULT_CACHE) -> Path:
    return cache / "results.json"
