"""Train the answer ranker (`index/answering/ranker.json`) on SQuAD training questions and chat-style sets.

    python scripts/train_ranker.py /path/to/train-first44-v1.1.json [--chat scripts/training/suite.json]

Features come from the serving code itself (`Searcher.candidates`: the question stage with every rule
as configured, the spelling dictionary included), so training and answering cannot drift apart; the
feature schema's hash is stamped into the ranker file and checked when it loads. `--chat` adds the
training suite: chat-style questions with verbatim evidence over corpora no evaluation set uses
(`scripts/training/sets/*/SOURCE.md`); their groups are repeated `--chat-weight` times, since they are
what users ask and SQuAD's questions copy their paragraph's words. After training, run
`scripts/calibrate.py`: the abstention floors belong to one ranker.

Each SQuAD article becomes a document; the engine indexes them exactly as it indexes any corpus, and
every question's candidates get the engine's own features (`index/answering/features.py`), labelled by whether
the sentence contains a gold answer. A LambdaRank gradient-boosted ensemble (LightGBM, a training-only
dependency: `pip install -r requirements-train.txt`) is fitted on them and exported as plain arrays.
Copies of the questions with 40% of their content words dropped and lower-cased stand in for chat
questions where no chat set is given. Never run on the benchmarks or the question suite's sets: they
measure what this learns.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.answering.features import FEATURE_NAMES, FEATURE_SCHEMA  # noqa: E402
from index.answering.question import analyse  # noqa: E402
from index.answering.ranker import RANKER_FILE, TreeEnsemble  # noqa: E402
from index.answering.search import Searcher  # noqa: E402
from index.config import Settings, settings_from_env  # noqa: E402
from index.dense.embedding import load_encoder  # noqa: E402
from index.engine import Engine  # noqa: E402
from index.evaluation import (  # noqa: E402  # noqa: E402
    SquadQuestion,
    corpus_texts,
    gold_units,
    open_engine,
    read_dev_questions,
    read_suite,
    squad_documents,
    write_documents,
)
from index.lexical.tokens import content_words  # noqa: E402

PARAMS = {
    "objective": "lambdarank", "learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 50,
    "verbose": -1, "num_threads": 2, "seed": 0, "deterministic": True,
}
ROUNDS = 300
CHAT_WEIGHT = 10
"""Times each chat training question counts beside SQuAD's (about 540 against 24,000)."""
MAX_TYPE_REFUSED = 0.02
"""The number/date check is kept only if it refuses at most this share of such answerable questions."""


def degrade(question: str, rng: random.Random, drop: float = 0.4) -> str:
    """A chat-like copy: ~40% of content words dropped (at least one), lower-cased."""
    words = question.split()
    meaning = set(content_words(question))
    keep = [w for w in words if not (set(content_words(w)) & meaning) or rng.random() > drop]
    if len(keep) == len(words) and len(words) > 3:
        informative = [i for i, w in enumerate(words) if set(content_words(w)) & meaning]
        if informative:
            skip = rng.choice(informative)
            keep = [w for i, w in enumerate(words) if i != skip]
    return " ".join(keep).lower()


@dataclasses.dataclass
class Group:
    question: SquadQuestion
    ids: np.ndarray
    features: np.ndarray
    labels: np.ndarray


def collect(searcher: Searcher, questions: list[SquadQuestion], texts: list[str]) -> list[Group]:
    """Candidates and features of each question text by the serving path, labelled by whether the
    sentence holds a gold answer."""
    index = searcher.index
    doc_number = {name: i for i, name in enumerate(index.doc_names)}
    groups = []
    for k, (question, text) in enumerate(zip(questions, texts)):
        _, _, cands = searcher.candidates(text)
        docs = index.doc_of[cands.ids]
        starts, ends = index.units["start"][cands.ids], index.units["end"][cands.ids]
        gold_doc = doc_number.get(question.doc, -1)
        labels = np.zeros(len(cands.ids))
        for a, b in question.spans:
            labels = np.maximum(labels, (docs == gold_doc) & (starts <= a) & (ends >= b))
        groups.append(Group(question, cands.ids, cands.features, labels))
        if (k + 1) % 1000 == 0:
            print(f"  features for {k + 1}/{len(questions)} questions", flush=True)
    return groups


def collect_chat(suite: Path, work: Path, settings: Settings, encoder, roles: tuple[str, ...]) -> list[Group]:  # noqa: ANN001
    """Groups for every answerable question of the chat training suite's sets of `roles`, labelled by
    `gold_units`. The default is the dev sets only: the embedding model was fitted on the train sets,
    so its similarities there are better than on a user's corpus, and a ranker fitted on them would
    trust them too much."""
    groups = []
    root = Path(__file__).resolve().parent.parent
    for chat_set in (s for s in read_suite(suite, root) if s.role in roles):
        before = len(groups)
        documents = corpus_texts(dataclasses.replace(settings, corpus_dir=chat_set.corpus))
        searcher = open_engine(settings, chat_set, work, encoder).searcher
        for q in read_dev_questions(chat_set.questions):
            if not q.answerable:
                continue
            _, _, cands = searcher.candidates(q.question)
            gold = gold_units(searcher.index, q.evidence, documents)
            labels = np.isin(cands.ids, gold).astype(np.float64)
            question = SquadQuestion(q.id, q.question, "", (), ())
            groups.append(Group(question, cands.ids, cands.features, labels))
        print(f"  {chat_set.name}: {len(groups) - before} chat questions", flush=True)
    return groups


def fit(groups: list[Group]):
    import lightgbm as lgb

    useful = [g for g in groups if g.labels.sum() > 0]
    data = lgb.Dataset(
        np.concatenate([g.features for g in useful]), np.concatenate([g.labels for g in useful]),
        group=[len(g.ids) for g in useful], feature_name=[n for n in FEATURE_NAMES], free_raw_data=False,
    )
    return lgb.train(PARAMS, data, num_boost_round=ROUNDS)


def export(booster) -> TreeEnsemble:
    """LightGBM's JSON dump as flat node arrays (leaves as negative ids) for `TreeEnsemble`."""
    dump = booster.dump_model()
    feature, threshold, left, right, default_left, leaf_value, roots = [], [], [], [], [], [], []
    depth = 0

    def walk(node: dict, level: int) -> int:
        nonlocal depth
        depth = max(depth, level)
        if "leaf_value" in node:
            leaf_value.append(node["leaf_value"])
            return -len(leaf_value)
        if node.get("decision_type", "<=") != "<=":
            raise ValueError(f"unsupported split {node.get('decision_type')}")
        me = len(feature)
        feature.append(node["split_feature"])
        threshold.append(node["threshold"])
        default_left.append(bool(node.get("default_left", True)))
        left.append(0)
        right.append(0)
        left[me] = walk(node["left_child"], level + 1)
        right[me] = walk(node["right_child"], level + 1)
        return me

    for tree in dump["tree_info"]:
        roots.append(walk(tree["tree_structure"], 0))
    return TreeEnsemble(
        feature_names=tuple(FEATURE_NAMES), roots=np.array(roots, dtype=np.int64),
        feature=np.array(feature, dtype=np.int64), threshold=np.array(threshold, dtype=np.float64),
        left=np.array(left, dtype=np.int64), right=np.array(right, dtype=np.int64),
        default_left=np.array(default_left, dtype=bool), leaf_value=np.array(leaf_value, dtype=np.float64),
        depth=depth,
    )


TYPE_CUES = {"number": FEATURE_NAMES.index("window_number"), "date": FEATURE_NAMES.index("window_date")}


def _predict(model, features: np.ndarray) -> np.ndarray:
    """Scores from a LightGBM booster or from the shipped `Ranker`."""
    return model.predict(features) if hasattr(model, "predict") else model.score(features)


def type_refusals(groups: list[Group], model) -> dict[str, float]:
    """Per answer type (number, date): the share of its answerable questions whose best sentence's
    window lacks that cue, which the type check would refuse."""
    missing: dict[str, list[bool]] = {kind: [] for kind in TYPE_CUES}
    for g in groups:
        kind = analyse(g.question.question).answer_type
        if g.labels.sum() == 0 or kind not in TYPE_CUES:
            continue
        best = int(np.argmax(_predict(model, g.features)))
        missing[kind].append(bool(g.features[best, TYPE_CUES[kind]] == 0))
    return {kind: float(np.mean(flags)) if flags else 1.0 for kind, flags in missing.items()}


def calibrate_only(args, searcher: Searcher, questions, rng) -> int:
    """Recompute the answer-type checks for the shipped ranker without refitting it (on its own
    training questions, so the refusal measured is optimistic)."""
    from index.answering.ranker import load_ranker

    ranker = load_ranker(args.out)
    groups = collect(searcher, questions, [q.question for q in questions])
    groups += collect(searcher, questions, [degrade(q.question, rng) for q in questions])
    type_refused = type_refusals(groups, ranker)
    meta = dict(
        ranker.meta, train_type_refused=type_refused,
        check_answer_types=sorted(kind for kind, share in type_refused.items() if share <= MAX_TYPE_REFUSED),
    )
    meta.pop("check_answer_type", None)
    args.out.write_text(json.dumps({"meta": meta, "trees": ranker.trees.to_json()}), encoding="utf-8")
    print(f"answer types checked {meta['check_answer_types']} "
          f"(refusal {type_refused}) written to {args.out}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("squad", type=Path, help="SQuAD v1.1 training JSON (not a benchmark file)")
    parser.add_argument("--chat", type=Path, metavar="SUITE", help="chat-style training suite (scripts/training/suite.json)")
    parser.add_argument("--chat-roles", default="dev",
                        help="comma-separated roles of the chat suite's sets to train on (default: dev)")
    parser.add_argument("--chat-weight", type=int, default=CHAT_WEIGHT, help="times each chat question counts")
    parser.add_argument("--work", type=Path, default=Path("var/train"), help="folder for the corpora and indexes")
    parser.add_argument("--out", type=Path, default=RANKER_FILE)
    parser.add_argument("--sample", type=int, default=None, help="use this many SQuAD questions (default all)")
    parser.add_argument("--calibrate-only", action="store_true", help="recompute calibration for --out, no refit")
    args = parser.parse_args()
    started = time.monotonic()
    settings: Settings = settings_from_env()
    documents, questions = squad_documents(args.squad)
    write_documents(documents, args.work / "squad" / "corpus")
    settings = dataclasses.replace(
        settings, corpus_dir=(args.work / "squad" / "corpus").resolve(), index_dir=(args.work / "squad" / "index").resolve()
    )
    encoder = load_encoder(settings)
    print(f"indexing {len(documents)} articles", flush=True)
    searcher = Engine.open(settings, encoder=encoder, notify=lambda m: print(m, flush=True)).searcher
    rng = random.Random(1)
    if args.sample:
        questions = rng.sample(questions, min(args.sample, len(questions)))
    if args.calibrate_only:
        return calibrate_only(args, searcher, questions, rng)
    print(f"features for {len(questions)} questions and their degraded copies", flush=True)
    plain = collect(searcher, questions, [q.question for q in questions])
    degraded = collect(searcher, questions, [degrade(q.question, rng) for q in questions])
    chat = collect_chat(args.chat, args.work / "chat", settings, encoder,
                        tuple(r.strip() for r in args.chat_roles.split(",") if r.strip())) if args.chat else []

    booster = fit(plain + degraded + chat * args.chat_weight)
    trees = export(booster)
    check = np.concatenate([g.features for g in plain[:200]])
    gap = float(np.abs(trees.score(check) - booster.predict(check)).max())
    if gap > 1e-6:
        raise SystemExit(f"exported ranker disagrees with LightGBM by {gap}")
    # The number/date checks, on the training questions themselves (optimistic);
    # the score floor is calibrated across corpora by scripts/calibrate.py.
    type_refused = type_refusals(plain + degraded + chat, booster)
    meta = {
        "feature_schema": FEATURE_SCHEMA,
        "trained_on": args.squad.name, "questions": len(questions), "rounds": ROUNDS, "params": PARAMS,
        "chat_suite": str(args.chat) if args.chat else None, "chat_questions": len(chat), "chat_weight": args.chat_weight,
        "train_type_refused": type_refused,
        "check_answer_types": sorted(kind for kind, share in type_refused.items() if share <= MAX_TYPE_REFUSED),
    }
    args.out.write_text(json.dumps({"meta": meta, "trees": trees.to_json()}), encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB) in {time.monotonic() - started:.0f} s; "
          "now run scripts/calibrate.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
