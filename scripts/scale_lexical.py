"""BM25 at scale: build and serve the engine's `LexicalIndex` over N synthetic passages.

    python scripts/scale_lexical.py build --n N --out DIR     (prints JSON: time, peak memory, size)
    python scripts/scale_lexical.py serve --out DIR           (prints JSON: load time, peak memory, latency)
    python scripts/scale_lexical.py levels --n N --out DIR    (the rebuild's lexical stage: five levels)

Passages are made from the engine's own BM25 terms of the SQuAD dev sentences: each synthetic passage
has the terms of one real sentence plus half of another's from the same article, so the vocabulary, its
Zipf curve and passage lengths are real ones. Queries are the terms of real SQuAD questions. Each mode
runs in its own process so that its peak memory (VmHWM) is its own; `bench_scale.py` runs both.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Iterator

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_worker import peak_rss_mb  # noqa: E402

QUERY_COUNT = 200


def _squad_terms() -> tuple[list[list[str]], np.ndarray, list[list[str]]]:
    """BM25 terms of every SQuAD dev sentence, its article, and of 200 questions."""
    from scale_data import find_squad

    from index.documents.sentences import split_sentences
    from index.lexical.tokens import tokenize

    data = json.loads(find_squad().read_text(encoding="utf-8"))["data"]
    sentences, articles, questions = [], [], []
    for number, article in enumerate(data):
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            for s in split_sentences(context):
                sentences.append(tokenize(context[s.start:s.end]))
                articles.append(number)
            questions.extend(tokenize(q["question"]) for q in paragraph["qas"])
    picked = np.random.default_rng(7).choice(len(questions), QUERY_COUNT, replace=False)
    return sentences, np.asarray(articles), [questions[i] for i in picked]


def synthetic_terms(n: int, seed: int = 1234) -> list[list[str]]:
    return list(iter_synthetic_terms(n, seed))


def iter_synthetic_terms(n: int, seed: int = 1234) -> Iterator[list[str]]:
    """N passages, one at a time (a rebuild never holds all its documents' terms as strings)."""
    sentences, articles, _ = _squad_terms()
    rng = np.random.default_rng(seed)
    by_article = [np.flatnonzero(articles == a) for a in range(int(articles.max()) + 1)]
    chosen = rng.integers(0, len(by_article), size=n)
    for article, (u, v) in zip(chosen.tolist(), rng.random((n, 2)).tolist()):
        members = by_article[article]
        first = sentences[members[int(u * len(members))]]
        second = sentences[members[int(v * len(members))]]
        yield first + second[: len(second) // 2]


def build(n: int, out: Path) -> dict:
    from index.lexical.bm25 import LexicalIndex

    passages = synthetic_terms(n)
    started = time.perf_counter()
    index = LexicalIndex.build(passages)
    out.mkdir(parents=True, exist_ok=True)
    index.save(out)
    seconds = time.perf_counter() - started
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    return {"n": n, "build_s": seconds, "build_peak_mb": peak_rss_mb(), "disk_mb": size / 2**20}


def levels(n: int, out: Path, sentences_per_doc: int = 500, sentences_per_paragraph: int = 5) -> dict:
    """What a rebuild's lexical stage does for N sentences: the token table, then all five levels
    (sentences, windows, wide windows, paragraphs, documents with file-name terms) built and saved."""
    from index.documents.units import level_spans
    from index.lexical.bm25 import LexicalIndex
    from index.lexical.matrix import TokenTableBuilder, score_matrix
    from index.storage.store import UNIT_DTYPE

    sentences = iter_synthetic_terms(n)
    started = time.perf_counter()
    builder = TokenTableBuilder()
    for lo in range(0, n, sentences_per_doc):
        builder.add(list(itertools.islice(sentences, sentences_per_doc)))
    table = builder.build()
    units = np.zeros(n, dtype=UNIT_DTYPE)
    units["doc"] = np.arange(n) // sentences_per_doc
    units["paragraph"] = np.arange(n) // sentences_per_paragraph
    names = [["document", str(d)] for d in range(int(units["doc"][-1]) + 1)]
    seconds = {}
    for level, (first, last) in level_spans(units).items():
        t = time.perf_counter()
        LexicalIndex.from_matrix(score_matrix(table, first, last, names if level == "documents" else None)).save(out / level)
        seconds[level] = time.perf_counter() - t
    return {"n": n, "build_s": time.perf_counter() - started, "level_s": seconds, "build_peak_mb": peak_rss_mb()}


def serve(out: Path) -> dict:
    from index.lexical.bm25 import LexicalIndex

    _, _, questions = _squad_terms()
    baseline = peak_rss_mb()
    started = time.perf_counter()
    index = LexicalIndex.load(out, mmap=True)
    load_s = time.perf_counter() - started
    latencies = []
    for terms in questions:
        t = time.perf_counter()
        index.scores(terms)
        latencies.append(time.perf_counter() - t)
    latencies_ms = np.array(latencies) * 1000
    return {"load_s": load_s, "serve_peak_mb": peak_rss_mb(), "before_load_mb": baseline,
            "p50_ms": float(np.percentile(latencies_ms, 50)), "p95_ms": float(np.percentile(latencies_ms, 95))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("build", "serve", "levels"))
    parser.add_argument("--n", type=int)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.mode == "serve":
        print(json.dumps(serve(args.out)))
    else:
        print(json.dumps((build if args.mode == "build" else levels)(args.n, args.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
