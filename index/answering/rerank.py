"""The judge stage: a cross-encoder reads the ranker's best candidates and says whether the documents
answer (`RERANK_MODEL`).

`shipped:chat-reranker` is the cross-encoder this project trains (`scripts/train_reranker.py`) and
ships as ONNX (`index/dense/cross_encoder.py`); a folder or hub name loads a sentence-transformers
CrossEncoder instead (needs torch). It reads each of the best `JUDGE_DEPTH` candidates with its
context, and its best logit is what the abstain stage compares with the floor of
`index/answering/policy-reranked.json`. Trained with the best candidates of unanswerable questions among its
negatives, it abstains on off-topic questions far more often than the ranker's floor does (0.87
against 0.74 of 300 SQuAD questions asked of the default corpus); on near misses written by other
people it separates no better (AUC 0.68 against 0.69 on the tune sets). It does not reorder:
reordering by its logit gained on the dev corpora and lost on the tune sets (docs/quality.md), so
the ranker's order stands.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from index.config import SHIPPED_RERANKER
from index.dense.cross_encoder import SHIPPED_RERANKER_DIR, OnnxCrossEncoder, passage_text
from index.errors import ModelError

JUDGE_DEPTH = 8
"""Candidates the cross-encoder reads per question (each costs a model call: latency grows with it)."""


class CrossEncoder(Protocol):
    fingerprint: str

    def logits(self, question: str, passages: Sequence[str]) -> np.ndarray: ...


class HubCrossEncoder:
    """A sentence-transformers CrossEncoder from a folder or the hub (torch; optional)."""

    def __init__(self, spec: str) -> None:
        path = Path(spec).expanduser()
        if path.exists():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        elif spec.startswith((".", "/", "~")):
            raise ModelError(f"RERANK_MODEL={spec} does not exist: set it to a cross-encoder folder, "
                             f"{SHIPPED_RERANKER} (the default), or off.")
        try:
            from sentence_transformers import CrossEncoder as Loaded

            self._model = Loaded(str(path if path.exists() else spec), device="cpu")
        except Exception as exc:  # missing weights, offline hub, wrong model kind
            raise ModelError(f"Could not load RERANK_MODEL={spec} ({exc}); set RERANK_MODEL={SHIPPED_RERANKER} (the default) or off.") from exc
        self.fingerprint = f"hub:{spec}"

    def logits(self, question: str, passages: Sequence[str]) -> np.ndarray:
        return np.asarray(self._model.predict([(question, p) for p in passages]), dtype=np.float64).reshape(-1)


@functools.lru_cache(maxsize=4)
def load_cross_encoder(spec: str) -> CrossEncoder:
    """The cross-encoder `RERANK_MODEL` names, loaded once per process: engines over several corpora
    (Discord servers, the evaluation suite) share it, as they share the embedding model. Read-only,
    so threads may share it."""
    if spec == SHIPPED_RERANKER:
        return OnnxCrossEncoder(SHIPPED_RERANKER_DIR)
    return HubCrossEncoder(spec)


def judge(index, model: CrossEncoder, question: str, ids: np.ndarray, raw: np.ndarray) -> float:  # noqa: ANN001 - LoadedIndex
    """The cross-encoder's best logit over the ranker's best `JUDGE_DEPTH` candidates (`ids`, scores `raw`)."""
    if not len(raw):
        return -np.inf
    top = np.argsort(-raw, kind="stable")[:JUDGE_DEPTH]
    return float(model.logits(question, [passage_text(index, int(unit)) for unit in ids[top].tolist()]).max())
