"""Train the query adapter (`index/query_adapter.npz`) on chat-style questions over training corpora.

    python scripts/train_adapter.py [--suite scripts/training/suite.json] [--epochs 40]

Every set of the training suite (a corpus and chat-style questions with verbatim gold evidence, written
for training on corpora that no evaluation set uses: `scripts/training/sets/*/SOURCE.md`) is indexed
exactly as the engine indexes any corpus. Each answerable question is planned and embedded by the
serving code (`Searcher.plan`, `Searcher.embed` without the adapter); its gold sentences are the units
that overlap its evidence. The adapter `q -> normalise(q + W q)` is fitted with a softmax over every
sentence and every sentence window of the question's own corpus (the gold ones are the targets), so it
learns to pull chat wording towards the document sentences that answer, against all the other
sentences of the same documents. W starts at zero and is kept small (L2), so a question the adapter
knows nothing about moves little. Training is seeded and takes seconds on a CPU after indexing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import settings_from_env  # noqa: E402
from index.adapter import ADAPTER_FILE, QueryAdapter  # noqa: E402
from index.embedding import load_encoder  # noqa: E402
from index.evaluation import locate, read_dev_questions  # noqa: E402
from index.suite import corpus_texts, open_engine, read_suite  # noqa: E402

TEMPERATURE = 0.05
L2 = 1.0
LEARNING_RATE = 2e-3
EPOCHS = 40


def gold_units(index, evidence: tuple[str, ...], documents: dict[str, str]) -> np.ndarray:  # noqa: ANN001
    """Units that overlap a gold span by half of the unit or half of the span."""
    starts, ends = index.units["start"].astype(np.int64), index.units["end"].astype(np.int64)
    names = np.array(index.doc_names)[index.doc_of]
    gold = np.zeros(len(starts), dtype=bool)
    for doc, lo, hi in (span for text in evidence for span in locate(text, documents)):
        overlap = np.minimum(ends, hi) - np.maximum(starts, lo)
        gold |= (names == doc) & (overlap > 0) & ((overlap >= 0.5 * (ends - starts)) | (overlap >= 0.5 * (hi - lo)))
    return np.flatnonzero(gold)


def collect(suite: Path, work: Path) -> list[dict]:
    """Per training set: question vectors (unadapted), sentence and window vectors, gold units."""
    settings = settings_from_env()
    encoder = load_encoder(settings)
    groups = []
    for eval_set in read_suite(suite, ROOT):
        started = time.monotonic()
        documents = corpus_texts(eval_set.corpus, settings.extensions)
        engine = open_engine(settings, eval_set, work, encoder)
        searcher = engine._searcher  # noqa: SLF001 - training takes the serving path itself
        index = searcher.index
        questions, golds = [], []
        for question in read_dev_questions(eval_set.questions):
            if not question.answerable:
                continue
            gold = gold_units(index, question.evidence, documents)
            if len(gold):
                questions.append(searcher.embed(searcher.plan(question.question).text, adapt=False))
                golds.append(gold)
        n = index.size
        groups.append({
            "name": eval_set.name, "queries": np.array(questions, dtype=np.float32), "golds": golds,
            "sentences": index.dense["sentences"].vectors(0, n), "windows": index.dense["windows"].vectors(0, n),
        })
        print(f"  {eval_set.name}: {len(questions)} questions over {n} sentences "
              f"({time.monotonic() - started:.0f} s)", flush=True)
    return groups


def train(
    groups: list[dict], epochs: int, l2: float = L2, learning_rate: float = LEARNING_RATE, seed: int = 0
) -> tuple[np.ndarray, list[float]]:
    import torch

    torch.manual_seed(seed)
    dim = groups[0]["queries"].shape[1]
    weight = torch.zeros(dim, dim, requires_grad=True)
    optimiser = torch.optim.Adam([weight], lr=learning_rate)
    tensors = [
        (torch.from_numpy(g["queries"]), torch.from_numpy(np.asarray(g["sentences"], dtype=np.float32)),
         torch.from_numpy(np.asarray(g["windows"], dtype=np.float32)), g["golds"])
        for g in groups if len(g["queries"])
    ]
    losses = []
    for _ in range(epochs):
        optimiser.zero_grad()
        total = torch.zeros(())
        count = 0
        for queries, sentences, windows, golds in tensors:
            moved = queries + queries @ weight.T
            moved = moved / moved.norm(dim=1, keepdim=True)
            for units in (sentences, windows):
                log_p = torch.log_softmax(moved @ units.T / TEMPERATURE, dim=1)
                for row, gold in enumerate(golds):
                    total = total - torch.logsumexp(log_p[row, torch.from_numpy(gold)], dim=0)
                    count += 1
        loss = total / count + l2 * (weight ** 2).sum()
        loss.backward()
        optimiser.step()
        losses.append(float(loss.detach()))
    return weight.detach().numpy(), losses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the query adapter on chat-style training sets.")
    parser.add_argument("--suite", type=Path, default=ROOT / "scripts/training/suite.json")
    parser.add_argument("--work", type=Path, default=ROOT / "var/train", help="where each set's index is kept")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--l2", type=float, default=L2, help="weight of the penalty that keeps W small")
    parser.add_argument("--lr", type=float, default=LEARNING_RATE)
    parser.add_argument("--out", type=Path, default=ADAPTER_FILE)
    args = parser.parse_args(argv)
    settings = settings_from_env()
    groups = collect(args.suite, args.work)
    weight, losses = train(groups, args.epochs, args.l2, args.lr)
    print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f} over {args.epochs} epochs; |W| {np.linalg.norm(weight):.3f}")
    encoder_name = load_encoder(settings).identity.name
    QueryAdapter(weight, {
        "model": encoder_name, "trained_on": [g["name"] for g in groups],
        "questions": int(sum(len(g["queries"]) for g in groups)), "epochs": args.epochs,
        "temperature": TEMPERATURE, "l2": args.l2, "learning_rate": args.lr, "final_loss": round(losses[-1], 4),
    }).save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
