"""The scale picture: search latency and serving memory against corpus size, from the results that
`bench.py --scale N` saved (var/bench-scale/results.json), as a PNG (docs/scale.png in docs/scale.md)."""

from __future__ import annotations

import json
from pathlib import Path

RECALL_TARGET = 0.95
LABELS = {
    "flat": "FAISS flat (exact)",
    "ivf-sq8": "FAISS IVF-SQ8 (engine above ANN_THRESHOLD)",
    "hnsw-sq8": "FAISS HNSW32-SQ8",
    "ivf-pq-refine": "FAISS IVF-PQ48 + SQ8 refine",
    "bm25": "BM25 scoring, one level (bm25s)",
}
TARGETS = {"latency": 5.0, "memory": 1536.0}


def chosen_setting(result: dict) -> dict:
    """The figure to plot for a store: the engine's own nprobe for ivf-sq8, else the fastest setting
    that reaches the recall target (or the most accurate one)."""
    settings = result["settings"]
    if result["kind"] == "ivf-sq8":
        nprobe = result["record"].get("nprobe")
        for s in settings:
            if s["value"] == nprobe:
                return s
    good = [s for s in settings if s["recall10"] >= RECALL_TARGET]
    return min(good, key=lambda s: s["p50_ms"]) if good else max(settings, key=lambda s: s["recall10"])


def plot(results_file: Path, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = json.loads(results_file.read_text(encoding="utf-8"))
    series: dict[str, list[tuple[int, float, float]]] = {}
    for r in results:
        latency = r["p50_ms"] if r["kind"] == "bm25" else chosen_setting(r)["p50_ms"]
        series.setdefault(r["kind"], []).append((r["n"], latency, r["serve_peak_mb"]))
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for kind, points in sorted(series.items(), key=lambda item: list(LABELS).index(item[0]) if item[0] in LABELS else 99):
        points.sort()
        sizes = [p[0] for p in points]
        style = {"marker": "o", "linestyle": "--" if kind == "bm25" else "-"}
        left.plot(sizes, [p[1] for p in points], label=LABELS.get(kind, kind), **style)
        right.plot(sizes, [p[2] for p in points], label=LABELS.get(kind, kind), **style)
    for axis, target, text in ((left, TARGETS["latency"], "target 5 ms"), (right, TARGETS["memory"], "target 1.5 GB")):
        axis.axhline(target, color="grey", linewidth=0.8, linestyle=":")
        axis.annotate(text, xy=(0.99, target * 0.93), xycoords=("axes fraction", "data"), ha="right", va="top",
                      color="grey", fontsize=8)
    for axis, title, unit in ((left, "Search latency, p50 (one query, k=100)", "ms"),
                              (right, "Peak memory of the serving process", "MB (RSS)")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("passages (384-d MiniLM-like vectors)")
        axis.set_ylabel(unit)
        axis.set_title(title, fontsize=10)
        axis.grid(True, which="both", linewidth=0.3)
    left.legend(fontsize=7, loc="upper left")
    right.legend(fontsize=7, loc="upper left")
    figure.suptitle("quotebot dense store at scale (2-core shared machine; scripts/bench.py --scale N)", fontsize=10)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return out


def markdown_tables(results_file: Path) -> str:
    """The tables of docs/scale.md from the saved results: stores by size, then BM25."""
    results = json.loads(results_file.read_text(encoding="utf-8"))
    rows = ["| passages | store | build | on disk (served + exact copy) | load + checksums | serving peak RSS "
            "| search p50 / p95 | recall@10 |", "|---|---|---|---|---|---|---|---|"]
    for r in sorted((r for r in results if r["kind"] != "bm25"), key=lambda r: (r["n"], list(LABELS).index(r["kind"]))):
        s = chosen_setting(r)
        knob = "" if s["knob"] == "exact" else f", {s['knob']} {s['value']}"
        params = f" (nlist {r['record']['nlist']}{knob})" if "nlist" in r["record"] else (f" ({knob[2:]})" if knob else "")
        disk = f"{r['disk_serving_mb']:,.0f} MB" + (f" + {r['disk_rebuild_mb']:,.0f} MB" if r["disk_rebuild_mb"] else "")
        rows.append(
            f"| {r['n']:,} | {r['kind']}{params} | {r['build_s']:.0f} s | {disk} | "
            f"{r['load_s']:.2f} + {r.get('verify_s', 0):.2f} s | {r['serve_peak_mb']:,.0f} MB | "
            f"{s['p50_ms']:.2f} / {s['p95_ms']:.2f} ms | {s['recall10']:.3f} |"
        )
    lexical = ["| passages | BM25 build (peak memory) | on disk | load (mmap) | serving peak RSS | scores for one question p50 / p95 |",
               "|---|---|---|---|---|---|"]
    for r in sorted((r for r in results if r["kind"] == "bm25"), key=lambda r: r["n"]):
        lexical.append(f"| {r['n']:,} | {r['build_s']:.0f} s ({r['build_peak_mb']:,.0f} MB) | {r['disk_mb']:,.0f} MB | "
                       f"{r['load_s']:.2f} s | {r['serve_peak_mb']:,.0f} MB | {r['p50_ms']:.2f} / {r['p95_ms']:.2f} ms |")
    return "\n".join(rows) + "\n\n" + "\n".join(lexical)
