"""The ONNX backends against the sentence-transformers reference: same vectors (float32), close vectors
(int8), and never mixed with vectors of another backend. Run on the bundled all-MiniLM-L6-v2, the model
that is exported on first use (the shipped model is ONNX already: tests/test_shipped_model.py)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from conftest import CORPUS

from index.config import BUNDLED_MODEL, Settings
from index.dense.embedding import load_encoder
from index.documents.sentences import split_sentences
from index.errors import ModelError

BASE = Settings(embed_model=BUNDLED_MODEL)


def corpus_texts() -> list[str]:
    """Real sentences and paragraphs of every length, plus edge cases (one letter, past the 256-token cut)."""
    texts: list[str] = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        texts += [text[s.start:s.end] for s in split_sentences(text)][:60]
        texts += [p for p in text.split("\n\n") if p.strip()][:10]
    return texts + ["x", "what did Abrams warn?", "word " * 400, "  spaced   out  "]


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return load_encoder(dataclasses.replace(BASE, embed_backend="torch")).encode(corpus_texts())


@pytest.mark.parametrize("backend, min_cosine, mean_cosine, batch_cosine", [
    ("onnx", 0.9999, 0.99999, 0.99999),
    # int8 quantises activations per batch, so a vector shifts slightly with its batch-mates.
    ("onnx-int8", 0.95, 0.98, 0.98),
])
def test_onnx_vectors_match_sentence_transformers(torch_vectors, backend, min_cosine, mean_cosine, batch_cosine):
    encoder = load_encoder(dataclasses.replace(BASE, embed_backend=backend))
    texts = corpus_texts()
    vectors = encoder.encode(texts, batch_size=16)
    assert vectors.shape == torch_vectors.shape and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    cosine = (vectors * torch_vectors).sum(axis=1)
    assert cosine.min() >= min_cosine and cosine.mean() >= mean_cosine
    # Batching by length must not change a vector: one at a time gives the same rows.
    single = np.stack([encoder.encode([t], batch_size=1)[0] for t in texts[:20]])
    assert (single * vectors[:20]).sum(axis=1).min() >= batch_cosine
    assert encoder.identity.backend == backend and encoder.identity.dim == 384


def test_backends_record_different_fingerprints():
    from index.dense.embedding import describe_model

    fingerprints = {describe_model(dataclasses.replace(BASE, embed_backend=b)).fingerprint
                    for b in ("torch", "onnx", "onnx-int8")}
    assert len(fingerprints) == 3


def test_unreadable_cached_onnx_file_names_itself(tmp_path):
    from index.dense.onnx_encoder import onnx_path

    settings = dataclasses.replace(BASE, embed_backend="onnx", cache_dir=tmp_path)
    path = onnx_path(settings, "onnx")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an onnx model")
    with pytest.raises(ModelError, match="delete it"):
        load_encoder(settings)


def test_model_with_unsupported_modules_is_refused(tmp_path):
    import shutil

    from index.dense.embedding import bundled_model_path

    folder = tmp_path / "model"
    shutil.copytree(bundled_model_path(), folder)
    modules = json.loads((folder / "modules.json").read_text())
    modules.append({"idx": len(modules), "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"})
    (folder / "modules.json").write_text(json.dumps(modules))
    settings = dataclasses.replace(BASE, embed_model=str(folder), embed_backend="onnx", cache_dir=tmp_path)
    with pytest.raises(ModelError, match="EMBED_BACKEND=torch"):
        load_encoder(settings)
