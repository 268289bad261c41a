"""Answering one question from one loaded index: retrieve, rank, quote, or abstain."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from index.answer import Answer, Quote
from index.answering.features import (
    FEATURE_NAMES,
    SOURCE_PENALTY,
    Candidates,
    QueryPlan,
    candidate_features,
    plan_query,
)
from index.answering.policy import AbstentionPolicy
from index.answering.question import satisfies_type
from index.answering.quotes import Ranking, choose_spans, rank_sections, to_quote
from index.answering.ranker import Ranker
from index.answering.rerank import CrossEncoder, judge
from index.dense.model import Encoder
from index.storage.loaded import LoadedIndex

RRF_K = 60
FUSED_RETRIEVERS = ("rr_dense_sentence", "rr_dense_window", "rr_bm25_sentence", "rr_bm25_window")


def fusion_scores(features: np.ndarray) -> np.ndarray:
    """Reciprocal rank fusion of the four retrievers: the ranker's fallback when no model is shipped."""
    total = np.zeros(len(features))
    for name in FUSED_RETRIEVERS:
        reciprocal = features[:, FEATURE_NAMES.index(name)].astype(np.float64)
        rank = 1.0 / np.maximum(reciprocal, 1e-9) - 1.0
        total += 1.0 / (RRF_K + rank)
    return total


@dataclass(frozen=True)
class Scored:
    """One question through the candidates, features and rank stages."""

    plan: QueryPlan
    candidates: Candidates
    raw: np.ndarray
    """Ranker score of each candidate, after the rank-stage rules."""
    best: float
    """What the score floor is compared with: the best raw score, or the cross-encoder's best logit."""

    @property
    def shift(self) -> float:
        """Added to a raw score to put it on the scale of `best` (quote confidences)."""
        return self.best - float(self.raw.max()) if len(self.raw) and math.isfinite(self.best) else 0.0


class Searcher:
    """Answers questions from one index version. Read-only after construction, so threads may share it."""

    def __init__(
        self, index: LoadedIndex, encoder: Encoder, ranker: Ranker | None, reranker: CrossEncoder | None = None,
        dictionary: frozenset[str] | None = None, off: frozenset[str] = frozenset(),
        policy: AbstentionPolicy | None = None,
    ) -> None:
        self.index = index
        self.off = off
        """Rules (`index/rules.py`) turned off."""
        self.dictionary = dictionary
        """Words of the language (the model's vocabulary), which spelling correction leaves alone."""
        self.encoder = encoder
        self.ranker = ranker
        self.reranker = reranker
        self.policy = policy if policy is not None and ranker is not None else AbstentionPolicy()
        """The abstain stage's floors (none with the rank-fusion fallback: its scores are on another scale)."""

    def plan(self, question: str) -> QueryPlan:
        """The question stage: normalised, rewritten, checked (`index/answering/features.py`)."""
        return plan_query(self.index, question, self.dictionary, self.off)

    def embed(self, text: str) -> np.ndarray:
        """The planned question's vector."""
        return self.encoder.encode([text], batch_size=1)[0]

    def candidates(self, question: str) -> tuple[QueryPlan, np.ndarray, Candidates]:
        """The question, candidates and features stages: the one path that serving and
        `scripts/train_ranker.py` both take, so the ranker learns the features it will be given."""
        plan = self.plan(question)
        query_vector = self.embed(plan.text)
        return plan, query_vector, candidate_features(self.index, plan, query_vector)

    def scored(self, question: str) -> Scored:
        """The question's candidates with their ranker scores (rank-stage rules applied): what
        `answer` quotes from and `scripts/calibrate.py` calibrates on."""
        plan, query_vector, candidates = self.candidates(question)
        if self.ranker is not None:
            raw = self.ranker.score(candidates.features)
        else:
            raw = fusion_scores(candidates.features)
        if "source_penalty" not in self.off:
            raw = raw - SOURCE_PENALTY * candidates.violates_source
        # Whether the documents answer is judged on the best match before headings and lead-ins
        # give way to what they introduce: a heading or lead-in that matches shows the documents
        # take the question up, even when the text under it is quoted. With a cross-encoder, the
        # match is its best logit (`index/answering/rerank.py`).
        if self.reranker is not None:
            best_match = judge(self.index, self.reranker, plan.text, candidates.ids, raw)
        else:
            best_match = float(raw.max()) if len(raw) else -math.inf
        return Scored(plan, candidates, raw, best_match)

    def answer(
        self, question: str, k: int, show_closest: bool = True, notes: list[str] | None = None, abstain: bool = True
    ) -> Answer:
        scored = self.scored(question)
        candidates, raw = scored.candidates, scored.raw
        if "section_body" in self.off:
            sections = Ranking(candidates.ids, raw)
        else:
            sections = rank_sections(self.index, candidates.ids, raw)
        spans = choose_spans(self.index, sections.ids, sections.scores, k, headed=sections.headed)
        quotes = [to_quote(self.index, span, self.confidence(span.score + scored.shift)) for span in spans]
        notes = list(notes or [])
        reason = self.abstention_reason(scored.plan, quotes, scored.best)
        version = self.index.directory.name
        if reason is None or (not abstain and quotes):
            return Answer(question, True, quotes, notes=notes, index=version)
        notes.append(reason)
        closest = quotes[0] if quotes and show_closest else None
        return Answer(question, False, [], closest=closest, notes=notes, index=version)

    def confidence(self, raw: float) -> float:
        """A 0..1 score; 0.5 is the abstention threshold."""
        floor = self.policy.score_floor
        threshold = floor if math.isfinite(floor) else 0.0
        return 1.0 / (1.0 + math.exp(-min(max(raw - threshold, -50.0), 50.0)))

    def abstention_reason(self, plan: QueryPlan, quotes: list[Quote], best: float) -> str | None:
        """Why the documents do not answer, or None when they do."""
        if not quotes or not any(c.isalnum() for c in plan.text):
            return "Nothing in the documents matches the question."
        off = self.off
        if "unknown_names" not in off and (plan.unknown_sources or plan.unknown_names):
            return f"The documents never mention {', '.join(plan.unknown_sources + plan.unknown_names)}."
        if "score_floor" not in off and best < self.policy.score_floor:
            return "No passage matches the question closely enough."
        kind = plan.analysis.answer_type
        if "answer_type" not in off and kind in self.policy.checked_answer_types and not satisfies_type(kind, quotes[0].text):
            return f"No passage gives the {kind} the question asks for."
        return None
