"""Synthetic passage vectors for the scale benchmark, derived from real MiniLM embeddings.

Why not random vectors: uniformly random unit vectors in 384 dimensions are all nearly orthogonal, so
nearest neighbours are barely nearer than anything else (hard and meaningless for ANN) or, once
clustered with tight synthetic centres, trivially separable (easy). Real sentence embeddings are
anisotropic, lie near a low-dimensional subspace and come in topical clusters. So the passages are made
from real ones:

1. Every sentence of the SQuAD v1.1 dev contexts (about 10,000, split with the engine's own splitter)
   and 2,000 of its questions are embedded once with the bundled all-MiniLM-L6-v2 (cached under
   var/bench-scale/).
2. A synthetic document picks one SQuAD article; each of its passages is a random convex mix of two
   real sentences of that article plus anisotropic Gaussian noise (per-dimension spread of the real
   embeddings), normalised: `normalise(w * a + (1 - w) * b + NOISE * std * z)`, `w ~ U(0.5, 1)`.
   So passages keep the real geometry and topics, neighbours are near but not duplicates, and
   consecutive passages share a topic like the sentences of a real document.
3. Queries are the embeddings of real SQuAD questions: never stored, and shaped like what users ask.

Everything is seeded, so a size is the same set of vectors on every run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SQUAD_PLACES = [
    base / "shared" / "benchmarks" / "squad-v1.1-dev" / "dev-v1.1.json" for base in (ROOT.parent, ROOT.parent.parent)
]
DEFAULT_CACHE = ROOT / "var" / "bench-scale"
QUERY_COUNT = 2000
NOISE = 0.45
DOC_PASSAGES = 24
"""Passages per synthetic document (one SQuAD article each)."""


def find_squad(explicit: Path | None = None) -> Path:
    """The SQuAD dev file: given, beside the checkout in shared/, or a clear error."""
    for candidate in [explicit, *SQUAD_PLACES]:
        if candidate is not None and candidate.is_file():
            return candidate
    raise SystemExit(
        "The SQuAD v1.1 dev file (dev-v1.1.json) was not found; pass --squad PATH "
        "(it lies in shared/benchmarks/squad-v1.1-dev/)."
    )


def real_embeddings(cache: Path, squad: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sentence vectors, article number of each sentence, question vectors): embedded once, cached."""
    files = [cache / name for name in ("sentences.npy", "articles.npy", "questions.npy")]
    if all(f.is_file() for f in files):
        return tuple(np.load(f, allow_pickle=False) for f in files)  # type: ignore[return-value]
    from index.config import Settings
    from index.dense.embedding import load_encoder
    from index.documents.sentences import split_sentences

    data = json.loads(squad.read_text(encoding="utf-8"))["data"]
    sentences: list[str] = []
    articles: list[int] = []
    questions: list[str] = []
    for number, article in enumerate(data):
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            for s in split_sentences(context):
                sentences.append(context[s.start:s.end])
                articles.append(number)
            questions.extend(q["question"] for q in paragraph["qas"])
    rng = np.random.default_rng(7)
    questions = [questions[i] for i in sorted(rng.choice(len(questions), QUERY_COUNT, replace=False))]
    print(f"embedding {len(sentences)} SQuAD dev sentences and {len(questions)} questions (once; cached in {cache})",
          file=sys.stderr)
    encoder = load_encoder(Settings())
    sentence_vectors = encoder.encode(sentences, batch_size=128)
    question_vectors = encoder.encode(questions, batch_size=128)
    cache.mkdir(parents=True, exist_ok=True)
    for path, array in zip(files, (sentence_vectors, np.asarray(articles, np.int32), question_vectors)):
        np.save(path, array, allow_pickle=False)
    return sentence_vectors, np.asarray(articles, np.int32), question_vectors


def synthetic_passages(
    n: int, bases: np.ndarray, articles: np.ndarray, out: np.ndarray, seed: int = 1234, chunk: int = 65536
) -> None:
    """Fill `out` (n x dim, e.g. a memory-mapped .npy) with seeded synthetic passages in document order."""
    rng = np.random.default_rng(seed)
    spread = bases.std(axis=0).astype(np.float32)
    by_article = [np.flatnonzero(articles == a) for a in range(int(articles.max()) + 1)]
    doc_article = rng.integers(0, len(by_article), size=-(-n // DOC_PASSAGES))
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        rows = hi - lo
        article_of = doc_article[np.arange(lo, hi) // DOC_PASSAGES]
        pick = rng.random((rows, 2))
        first = np.empty(rows, np.int64)
        second = np.empty(rows, np.int64)
        for a in np.unique(article_of):
            members = by_article[a]
            at = article_of == a
            first[at] = members[(pick[at, 0] * len(members)).astype(np.int64)]
            second[at] = members[(pick[at, 1] * len(members)).astype(np.int64)]
        weight = rng.uniform(0.5, 1.0, size=(rows, 1)).astype(np.float32)
        noise = rng.standard_normal((rows, bases.shape[1]), dtype=np.float32) * spread * NOISE
        mixed = weight * bases[first] + (1 - weight) * bases[second] + noise
        mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
        out[lo:hi] = mixed
