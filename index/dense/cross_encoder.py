"""The cross-encoder this project trains and ships (`index/models/chat-reranker/`), run by onnxruntime.

Why a cross-encoder: the embedding model reads the question and a sentence apart and compares two
vectors; a cross-encoder reads them together, word against word, and says how well the sentence
answers. It is too slow to read every sentence, so it re-scores the ranker's best few candidates
(`index/answering/rerank.py`), and its score is also what the abstain stage compares with its floor.

What it reads is `passage_text`: the candidate sentence with its neighbours, under its document's name
and nearest heading. `scripts/train_reranker.py` trains on exactly these texts, tokenised by
`encode_pairs` here, so training and serving cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from index.dense.onnx_encoder import padded, session_options
from index.dense.shipped import CHECKSUMS, verify_checksums
from index.errors import ModelError, ShippedModelError

SHIPPED_RERANKER_DIR = Path(__file__).resolve().parents[1] / "models" / "chat-reranker"
MAX_LENGTH = 192
"""Tokens of question and passage together; the longer of the two is cut first."""
HEADING_LOOKBACK = 60
"""How many sentences back the nearest heading is looked for."""


def nearest_heading(index, unit: int) -> int | None:  # noqa: ANN001 - LoadedIndex
    """The closest heading above `unit` in its document, or None."""
    cursor = unit
    for _ in range(HEADING_LOOKBACK):
        if not index.same_doc_before[cursor]:
            return None
        cursor -= 1
        if index.cues["heading"][cursor]:
            return cursor
    return None


def _title(name: str) -> str:
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return " ".join(stem.replace("_", " ").replace("-", " ").split())


def passage_text(index, unit: int) -> str:  # noqa: ANN001 - LoadedIndex
    """What the cross-encoder reads for one candidate: 'document title > heading' on the first line, then
    the sentence with the sentence before and after it in the same document."""
    first = unit - 1 if index.same_doc_before[unit] else unit
    last = unit + 1 if index.same_doc_after[unit] else unit
    context = [_title(index.doc_names[int(index.doc_of[unit])])]
    heading = nearest_heading(index, unit)
    if heading is not None and heading < first:
        context.append(" ".join(index.sentence(heading).lstrip("#").split()))
    body = " ".join(index.span_text(first, last).split())
    return " > ".join(c for c in context if c) + "\n" + body


def load_tokenizer(folder: Path) -> Tokenizer:
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_LENGTH, strategy="longest_first")
    tokenizer.no_padding()
    return tokenizer


def encode_pairs(tokenizer: Tokenizer, question: str, passages: Sequence[str]) -> dict[str, np.ndarray]:
    """Token ids, attention mask and segment ids of (question, passage) pairs, padded to the longest."""
    question = " ".join(question.lower().split())
    return padded(tokenizer.encode_batch([(question, p.lower()) for p in passages]))


class OnnxCrossEncoder:
    """The shipped cross-encoder: a relevance logit per (question, passage)."""

    def __init__(self, folder: Path = SHIPPED_RERANKER_DIR, threads: int | None = None) -> None:
        if not (folder / CHECKSUMS).is_file():
            raise ModelError(
                f"The shipped cross-encoder folder {folder} is missing or incomplete: restore it with "
                f"`git checkout -- {folder}`, or set RERANK_MODEL=off."
            )
        try:
            verify_checksums(folder)
        except ShippedModelError as exc:
            raise ModelError(str(exc)) from None
        self.folder = folder
        self._tokenizer = load_tokenizer(folder)
        path = folder / "onnx" / "model.onnx"
        try:
            self._session = ort.InferenceSession(str(path), session_options(threads), providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelError(f"Could not load the cross-encoder {path} ({exc}): `git checkout -- {folder}`.") from exc
        self._inputs = [i.name for i in self._session.get_inputs()]
        # The weights' checksum: what a policy's floor was fitted for (a new training card changes nothing).
        weights = next(line.split()[0] for line in (folder / CHECKSUMS).read_text().splitlines()
                       if line.strip().endswith("onnx/model.onnx"))
        self.fingerprint = weights[:16]

    def logits(self, question: str, passages: Sequence[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, dtype=np.float64)
        feeds = encode_pairs(self._tokenizer, question, passages)
        (out,) = self._session.run(None, {name: feeds[name] for name in self._inputs})
        return np.asarray(out, dtype=np.float64).reshape(-1)
