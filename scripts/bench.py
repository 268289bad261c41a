"""Speed figures: warm query latency, cold one-shot CLI time, index build time and throughput.

    python scripts/bench.py [--questions FILE] [--corpus DIR] [--repeat 3]
    python scripts/bench.py --scale N [--kinds flat,ivf-sq8,...] [--lexical] [--fresh]   (scripts/bench_scale.py)
    python scripts/bench.py --plot [--out docs/scale.png]                                (scripts/scale_plot.py)

Warm latency: every question of the dev file answered --repeat times by one engine (after a warm-up).
Cold CLI: `python -m bot.cli --json QUESTION` as a fresh process against a built index, median of 3.
Build: a full rebuild of the corpus into a temporary index (model already loaded, then also cold).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure query latency, cold start and build speed.")
    parser.add_argument("--questions", type=Path, default=ROOT / "tests" / "data" / "dev_questions.jsonl")
    parser.add_argument("--corpus", metavar="DIR")
    parser.add_argument("--repeat", type=int, default=3)
    scale = parser.add_argument_group("scale mode: the vector store over N synthetic passages")
    scale.add_argument("--scale", type=int, metavar="N", help="measure stores of N passages instead")
    scale.add_argument("--kinds", help="comma-separated store kinds: flat, ivf-sq8, hnsw-sq8, ivf-pq-refine "
                       "(default: what the engine would use at N, and flat up to 300,000)")
    scale.add_argument("--lexical", action="store_true", help="also measure BM25 over N passages")
    scale.add_argument("--fresh", action="store_true", help="rebuild stores instead of reusing saved ones")
    scale.add_argument("--squad", type=Path, help="SQuAD v1.1 dev JSON (default: shared/benchmarks/...)")
    scale.add_argument("--plot", action="store_true", help="write the latency/memory picture from saved results")
    scale.add_argument("--out", type=Path, default=ROOT / "docs" / "scale.png", help="where --plot writes the PNG")
    args = parser.parse_args(argv)
    print("$ python scripts/bench.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    if args.scale is not None or args.plot:
        return scale_main(args)

    from index import Engine, rebuild, settings_from_env, with_paths
    from index.evaluation import read_dev_questions

    settings = with_paths(settings_from_env(), args.corpus, None)
    questions = [q.question for q in read_dev_questions(args.questions)]
    with tempfile.TemporaryDirectory() as scratch:
        settings = dataclasses.replace(settings, index_dir=Path(scratch) / "index")
        started = time.perf_counter()
        engine = Engine.open(settings)
        cold_open = time.perf_counter() - started

        started = time.perf_counter()
        summary = rebuild(settings, full=True, encoder=engine.encoder)
        build = time.perf_counter() - started
        print(f"backend {settings.embed_backend}, model {settings.embed_model}, corpus {settings.corpus_dir}")
        print(f"engine open incl. model load and first build: {cold_open:.1f} s")
        print(f"full rebuild (model loaded): {build:.1f} s for {summary.documents} documents, "
              f"{summary.units} sentences ({summary.units / build:.0f} sentences/s, each embedded as sentence and window)")
        started = time.perf_counter()
        quick = rebuild(settings)
        print(f"rebuild with nothing changed: {time.perf_counter() - started:.2f} s (up to date: {quick.up_to_date})")

        engine = Engine.open(settings, encoder=engine.encoder)
        engine.warm_up()
        timings = []
        for _ in range(args.repeat):
            for question in questions:
                t = time.perf_counter()
                engine.answer(question)
                timings.append(time.perf_counter() - t)
        print(f"warm query latency over {len(timings)} answers: p50 {1000 * statistics.median(timings):.1f} ms, "
              f"p95 {1000 * percentile(timings, 0.95):.1f} ms")

        env = dict(os.environ, INDEX_DIR=str(settings.index_dir), CORPUS_DIR=str(settings.corpus_dir))
        colds = []
        for _ in range(3):
            t = time.perf_counter()
            result = subprocess.run([sys.executable, "-m", "bot.cli", "--json", questions[0]], cwd=ROOT, env=env,
                                    capture_output=True, text=True)
            colds.append(time.perf_counter() - t)
            if result.returncode != 0 or not json.loads(result.stdout).get("quotes") is not None:
                print(result.stderr, file=sys.stderr)
                return 1
        print(f"cold one-shot CLI answer (python -m bot.cli --json): median {statistics.median(colds):.2f} s "
              f"(min {min(colds):.2f}, max {max(colds):.2f})")
    return 0


def scale_main(args: argparse.Namespace) -> int:
    """The scale benchmark and its picture (kept in their own modules beside this one)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import bench_scale

    results = bench_scale.default_results()
    if args.scale is not None:
        if args.scale < 1000:
            print("--scale wants at least 1000 passages.", file=sys.stderr)
            return 2
        kinds = [k.strip() for k in args.kinds.split(",")] if args.kinds else None
        known = ("flat", "ivf-sq8", "hnsw-sq8", "ivf-pq-refine")
        unknown = [k for k in kinds or [] if k not in known]
        if unknown:
            print(f"--kinds: unknown {', '.join(unknown)}; choose from {', '.join(known)}.", file=sys.stderr)
            return 2
        bench_scale.run(args.scale, kinds, bench_scale.DEFAULT_CACHE, results, args.fresh, args.squad)
        if args.lexical:
            bench_scale.lexical(args.scale, bench_scale.DEFAULT_CACHE, results, args.fresh)
    if args.plot:
        import scale_plot

        if not results.is_file():
            print(f"No scale results in {results} yet: run python scripts/bench.py --scale N first.", file=sys.stderr)
            return 1
        print(f"wrote {scale_plot.plot(results, args.out)}\n")
        print(scale_plot.markdown_tables(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
