"""Judge the engine on many corpora at once, beside the two peers measured in the same run.

A suite file (JSON) lists question sets, each a corpus folder and a questions file (JSON lines with
verbatim gold evidence, `index/evaluation/evaluators.py`) and a role: `tune` sets may be looked at and fitted
on, `held` sets are kept for the final report. For every set the engine (its own index under the work
folder), the naive 500-char dense build and BM25 over the same chunks (`index/evaluation/peers.py`) answer every
question; the table gives each set's figures and their macro average (unweighted mean over sets).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

from index.answer import Answer
from index.documents.corpus import Document, list_corpus, read_document
from index.evaluation.evaluators import DevReport, evaluate_dev, read_dev_questions

ROLES = ("tune", "held", "train", "dev")


class SuiteError(ValueError):
    """The suite file or one of its sets cannot be used; the message names the file."""


@dataclass(frozen=True)
class EvalSet:
    name: str
    corpus: Path
    questions: Path
    role: str


def read_suite(path: Path, root: Path) -> list[EvalSet]:
    """The sets of a suite file; relative paths are taken from `root` (the project root)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        sets = [
            EvalSet(s["name"], (root / s["corpus"]).resolve(), (root / s["questions"]).resolve(), s.get("role", "tune"))
            for s in raw["sets"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SuiteError(f"{path}: not a suite file ({exc}); expected "
                         '{"sets": [{"name", "corpus", "questions", "role"}, ...]}') from exc
    for s in sets:
        if s.role not in ROLES:
            raise SuiteError(f"{path}: set {s.name!r} has role {s.role!r}; use one of {', '.join(ROLES)}.")
        if not s.questions.is_file():
            raise SuiteError(f"{path}: set {s.name!r}: questions file {s.questions} does not exist.")
        if not s.corpus.is_dir():
            raise SuiteError(f"{path}: set {s.name!r}: corpus folder {s.corpus} does not exist.")
    return sets


def corpus_texts(settings) -> dict[str, str]:  # noqa: ANN001 - index.config.Settings
    """Every readable document of the settings' corpus, listed as the engine lists it, by
    corpus-relative path: what gold evidence is located in."""
    candidates, _ = list_corpus(settings)
    documents = {}
    for candidate in candidates:
        doc = read_document(candidate)
        if isinstance(doc, Document):
            documents[doc.path] = doc.text
    return documents


@dataclass
class Figures:
    """One system's figures on one set (answerable-question metrics over answerable questions)."""

    hit1: float
    hit3: float
    mrr: float
    abstained: float
    refused: float
    verbatim: float
    median_chars: float
    counts: str
    misses: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, report: DevReport) -> "Figures":
        n, u = max(report.answerable, 1), max(report.unanswerable, 1)
        return cls(
            report.hit1 / n, report.hit3 / n, report.reciprocal_rank / n,
            report.abstained / u if report.unanswerable else float("nan"), report.refused / n,
            report.verbatim / max(report.quotes, 1), statistics.median(report.lengths) if report.lengths else 0.0,
            f"{report.abstained}/{report.unanswerable} abst, {report.refused}/{report.answerable} ref",
            list(report.misses),
        )


METRICS = ("hit1", "hit3", "mrr", "abstained", "refused", "verbatim", "median_chars")


def macro(figures: Iterable[Figures]) -> dict[str, float]:
    """Unweighted mean of each metric over sets (sets without unanswerable questions skip abstained)."""
    figures = list(figures)
    out = {}
    for metric in METRICS:
        values = [getattr(f, metric) for f in figures if getattr(f, metric) == getattr(f, metric)]
        out[metric] = sum(values) / len(values) if values else float("nan")
    return out


Answerer = Callable[[str], Answer]


def evaluate_set(eval_set: EvalSet, documents: dict[str, str], answer: Answerer) -> Figures:
    return Figures.of(evaluate_dev(read_dev_questions(eval_set.questions), documents, answer))


def peer_answerers(documents: dict[str, str], encoder) -> dict[str, Answerer]:  # noqa: ANN001 - Encoder
    from index.evaluation.peers import ChunkPeers

    peers = ChunkPeers(documents, encoder)
    return {"naive": lambda q: peers.answer_dense(q, 3), "bm25": lambda q: peers.answer_bm25(q, 3)}


def format_row(name: str, system: str, f: Figures | dict[str, float]) -> str:
    get = (lambda m: f[m]) if isinstance(f, dict) else (lambda m: getattr(f, m))
    abst = get("abstained")
    return (f"{name:<14s} {system:<8s} {get('hit1'):6.3f} {get('hit3'):6.3f} {get('mrr'):6.3f} "
            f"{'   -  ' if abst != abst else f'{abst:6.3f}'} {get('refused'):6.3f} {get('verbatim'):6.3f} "
            f"{get('median_chars'):6.0f}")


HEADER = f"{'set':<14s} {'system':<8s} {'hit@1':>6s} {'hit@3':>6s} {'MRR':>6s} {'abst':>6s} {'refus':>6s} {'verb':>6s} {'chars':>6s}"


def engine_answerer(engine, k: int = 3) -> Answerer:  # noqa: ANN001 - index.engine.Engine
    return lambda q: engine.answer(q, k=k)


def open_engine(settings, eval_set: EvalSet, work: Path, encoder):  # noqa: ANN001, ANN201
    """The engine over one set's corpus, its index kept under `work/<set name>`."""
    from index.engine import Engine

    set_settings = replace(settings, corpus_dir=eval_set.corpus, index_dir=(work / eval_set.name / "index").resolve())
    return Engine.open(set_settings, encoder=encoder, notify=lambda m: None)


def figures_line(f: Figures) -> str:
    return f"{f.counts}; not hit at 1: {' '.join(f.misses) or '-'}"


def select(sets: list[EvalSet], names: str | None, roles: Iterable[str]) -> list[EvalSet]:
    """Sets by comma-separated names (any role), or else every set of the given roles."""
    if names:
        wanted = [n.strip() for n in names.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in {s.name for s in sets}]
        if unknown:
            raise SuiteError(f"no set named {', '.join(unknown)} in the suite; sets: {', '.join(s.name for s in sets)}")
        return [s for s in sets if s.name in wanted]
    roles = set(roles)
    return [s for s in sets if s.role in roles]
