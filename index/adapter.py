"""A learned query adapter: chat questions moved towards the document sentences that answer them.

The bundled all-MiniLM-L6-v2 places "how old do u have to be to make an acct" far from "we do not
permit any Users under 13": people ask in other words than documents use. A linear map applied to
the question's vector only (`q + W q`, renormalised) is trained by `scripts/train_adapter.py` on
chat-style questions over corpora that no evaluation set uses, so the index and the documents'
vectors stay as they are and any corpus benefits without a rebuild. The adapter belongs to one
model: with another `EMBED_MODEL` it is not used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ADAPTER_FILE = Path(__file__).resolve().parent / "query_adapter.npz"


class AdapterError(RuntimeError):
    """The adapter file is unreadable or belongs to another model; the message says what to do."""


@dataclass(frozen=True)
class QueryAdapter:
    weight: np.ndarray
    """(dim, dim): the residual map, so that a zero matrix leaves questions as they were."""
    meta: dict

    def __call__(self, vectors: np.ndarray) -> np.ndarray:
        """Adapted, unit-length question vectors (one per row, or one vector)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        moved = vectors + vectors @ self.weight.T
        norms = np.linalg.norm(moved, axis=-1, keepdims=True)
        return (moved / np.maximum(norms, 1e-12)).astype(np.float32)

    def save(self, path: Path = ADAPTER_FILE) -> None:
        np.savez_compressed(path, weight=self.weight.astype(np.float32), meta=np.array(json.dumps(self.meta)))


def load_adapter(model_name: str, dim: int, path: Path = ADAPTER_FILE) -> QueryAdapter:
    """The shipped adapter for the model called `model_name` (as `index.embedding.describe_model`
    names it); `AdapterError` when it is unreadable or trained for another model."""
    try:
        with np.load(path, allow_pickle=False) as data:
            adapter = QueryAdapter(np.array(data["weight"], dtype=np.float32), json.loads(str(data["meta"])))
    except FileNotFoundError:
        raise AdapterError(f"The query adapter {path} is missing: run `python scripts/train_adapter.py`.") from None
    except (OSError, ValueError, KeyError) as exc:
        raise AdapterError(f"The query adapter {path} is unreadable ({exc}): run `python scripts/train_adapter.py`.") from exc
    if adapter.meta.get("model") != model_name or adapter.weight.shape != (dim, dim):
        raise AdapterError(
            f"The query adapter {path} was trained for {adapter.meta.get('model')!r}, not {model_name!r}: "
            "questions are embedded without it (train one for this model with `python scripts/train_adapter.py`)."
        )
    return adapter
