"""Optional cross-encoder reranking (`RERANK_MODEL`), off by default: no cross-encoder weights ship
offline, so nothing requires it. When set, the ranker's best candidates are re-scored by the
cross-encoder reading each sentence with its neighbours, and the two scores are added."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .model import ModelError

RERANK_DEPTH = 20
RERANK_WEIGHT = 1.0
"""Weight of the standardised cross-encoder score against the ranker's (not tuned: no model here)."""


class CrossEncoderReranker:
    def __init__(self, spec: str) -> None:
        path = Path(spec).expanduser()
        if path.exists():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        elif spec.startswith((".", "/", "~")):
            raise ModelError(f"RERANK_MODEL={spec} does not exist: set it to a cross-encoder folder or leave it empty.")
        try:
            from sentence_transformers import CrossEncoder

            self._model = CrossEncoder(str(path if path.exists() else spec), device="cpu")
        except Exception as exc:  # missing weights, offline hub, wrong model kind
            raise ModelError(f"Could not load RERANK_MODEL={spec} ({exc}); leave RERANK_MODEL empty to answer without it.") from exc

    def adjust(self, question: str, passages: Sequence[str], scores: np.ndarray) -> np.ndarray:
        """`scores` plus the standardised cross-encoder scores of the passages."""
        if len(passages) < 2:
            return scores
        relevance = np.asarray(self._model.predict([(question, p) for p in passages]), dtype=np.float64)
        spread = relevance.std() or 1.0
        return scores + RERANK_WEIGHT * (relevance - relevance.mean()) / spread
