"""Calibrate the abstain stage (`index/answering/policy.json`) across the tune sets of the question suite.

    python scripts/calibrate.py [--suite tests/data/sets/suite.json] [--max-refused 0.05]

Every tune set's questions go through the serving path (`Searcher.scored`, rules as configured), and
for each the best ranker score and dense similarity are kept, with whether the rules that do not use
a floor (unknown names) already abstain. The score floor is the highest one that refuses at most
`--max-refused` of the answerable questions, as the mean over corpora (sets on the same corpus count as
one corpus), so no corpus outweighs the rest. The dense floor and the number check are kept from the
ranker's SQuAD calibration. Leave-one-corpus-out figures (floor fitted without a corpus, measured on it)
are printed and stored in the policy file. Held-out sets are never read.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import settings_from_env  # noqa: E402
from index.answering.features import FEATURE_SCHEMA  # noqa: E402
from index.answering.policy import AbstentionPolicy, policy_file, policy_fingerprint  # noqa: E402
from index.answering.ranker import load_ranker  # noqa: E402
from index.answering.rerank import load_cross_encoder  # noqa: E402
from index.dense.embedding import load_encoder  # noqa: E402
from index.evaluation import (  # noqa: E402
    open_engine,
    read_dev_questions,  # noqa: E402
    read_suite,
    select,
)

MAX_REFUSED = 0.05
"""Default ceiling on the mean share (over corpora) of answerable questions the score floor refuses."""


@dataclass(frozen=True)
class Observation:
    corpus: str
    answerable: bool
    best: float
    abstains_anyway: bool
    """Another rule (unknown names) abstains whatever the score floor."""


def contents(folder: Path) -> str:
    """The documents' names and sizes: sets over copies of the same documents are one corpus."""
    return repr(sorted((p.relative_to(folder).as_posix(), p.stat().st_size) for p in folder.rglob("*") if p.is_file()))


def observe(suite: Path, work: Path, roles: tuple[str, ...] = ("tune",)) -> list[Observation]:
    settings = settings_from_env()
    encoder = load_encoder(settings)
    seen: list[Observation] = []
    corpus_name: dict[str, str] = {}
    """Each distinct corpus, named by the folder of its first set."""
    for eval_set in select(read_suite(suite, ROOT), None, roles):
        folder = eval_set.corpus
        name = corpus_name.setdefault(contents(folder), folder.relative_to(ROOT).as_posix() if folder.is_relative_to(ROOT) else str(folder))
        engine = open_engine(settings, eval_set, work, encoder)
        searcher = engine.searcher
        for question in read_dev_questions(eval_set.questions):
            scored = searcher.scored(question.question)
            unknown = bool(scored.plan.unknown_sources or scored.plan.unknown_names) and "unknown_names" not in searcher.off
            seen.append(Observation(name, question.answerable, scored.best, unknown))
        print(f"  {eval_set.name}: {len(read_dev_questions(eval_set.questions))} questions", flush=True)
    return seen


def rates(seen: list[Observation], floor: float) -> tuple[float, float]:
    """Mean over corpora of the share of answerable questions refused, and of unanswerable abstained."""
    refused, abstained = [], []
    for corpus in sorted({o.corpus for o in seen}):
        mine = [o for o in seen if o.corpus == corpus]
        answerable = [o for o in mine if o.answerable]
        unanswerable = [o for o in mine if not o.answerable]
        if answerable:
            refused.append(np.mean([o.abstains_anyway or o.best < floor for o in answerable]))
        if unanswerable:
            abstained.append(np.mean([o.abstains_anyway or o.best < floor for o in unanswerable]))
    return float(np.mean(refused)) if refused else 0.0, float(np.mean(abstained)) if abstained else 0.0


def fit_floor(seen: list[Observation], max_refused: float) -> float:
    """The highest floor (a candidate is each observed best score) that keeps refusals under the ceiling."""
    best_floor = -math.inf
    for floor in sorted({o.best for o in seen if o.answerable and math.isfinite(o.best)}):
        if rates(seen, floor)[0] <= max_refused:
            best_floor = floor
        else:
            break
    return best_floor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Calibrate the abstention floors across corpora.")
    parser.add_argument("--suite", type=Path, default=ROOT / "tests/data/sets/suite.json")
    parser.add_argument("--work", type=Path, default=ROOT / "var/eval", help="where each set's index is kept")
    parser.add_argument("--max-refused", type=float, default=MAX_REFUSED)
    parser.add_argument("--roles", default="tune", help="roles of the suite's sets to fit on (comma-separated)")
    parser.add_argument("--out", type=Path, default=None,
                        help="default: index/answering/policy-reranked.json, or index/answering/policy.json with RERANK_MODEL=off")
    args = parser.parse_args(argv)

    seen = observe(args.suite, args.work, tuple(args.roles.split(",")))
    corpora = sorted({o.corpus for o in seen})
    floor = fit_floor(seen, args.max_refused)
    refused, abstained = rates(seen, floor)
    print(f"score floor {floor:.3f}: refused {refused:.3f}, abstained {abstained:.3f} (mean over {len(corpora)} corpora, fitted on all)")
    held_out = {}
    for corpus in corpora:
        rest = [o for o in seen if o.corpus != corpus]
        mine = [o for o in seen if o.corpus == corpus]
        fold_floor = fit_floor(rest, args.max_refused)
        fold_refused, fold_abstained = rates(mine, fold_floor)
        name = corpus
        held_out[name] = {"floor": round(fold_floor, 4), "refused": round(fold_refused, 3), "abstained": round(fold_abstained, 3)}
        print(f"  without {name:<34s} floor {fold_floor:7.3f}: on it refused {fold_refused:.3f}, abstained {fold_abstained:.3f}")
    ranker = load_ranker(schema=FEATURE_SCHEMA)
    meta = ranker.meta
    settings = settings_from_env()
    reranker = load_cross_encoder(settings.rerank_model) if settings.rerank_model else None  # loaded by observe
    out = args.out or policy_file(reranker)
    policy = AbstentionPolicy(
        score_floor=floor,
        checked_answer_types=tuple(meta.get("check_answer_types", ())),
        ranker=policy_fingerprint(ranker, reranker),
        calibration={
            "score_floor_fitted_on": corpora,
            "max_refused": args.max_refused, "refused": round(refused, 3), "abstained": round(abstained, 3),
            "leave_one_corpus_out": held_out,
            "answer_types": "from the ranker's training questions (scripts/train_ranker.py)",
        },
    )
    policy.save(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
