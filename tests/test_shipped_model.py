"""The shipped model (index/models/chat-minilm): its files match their checksums and load without any
export, a damaged file is refused by name, a changed model re-embeds every document, and training
sees exactly the texts the index embeds."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS

from index.config import SHIPPED_MODEL, Settings
from index.dense.embedding import load_encoder
from index.dense.shipped import CHECKSUMS, ONNX_FILE, SHIPPED_MODEL_DIR, verify_checksums, write_checksums
from index.errors import ModelError


def test_shipped_files_match_their_checksums():
    verify_checksums(SHIPPED_MODEL_DIR)
    listed = {line.split(maxsplit=1)[1] for line in (SHIPPED_MODEL_DIR / CHECKSUMS).read_text().splitlines() if line}
    assert ONNX_FILE.as_posix() in listed and "tokenizer.json" in listed and "vocab.txt" in listed


def test_default_model_is_the_shipped_onnx_file_and_needs_no_export(tmp_path):
    settings = dataclasses.replace(Settings(), cache_dir=tmp_path / "cache")
    assert settings.embed_model == SHIPPED_MODEL
    encoder = load_encoder(settings)
    vectors = encoder.encode(["what did Abrams warn?", "Abrams warned about the U.N. Command."])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert not (tmp_path / "cache").exists()  # nothing exported, nothing cached


def _copy_of_shipped(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(SHIPPED_MODEL_DIR, folder)
    return folder


def test_a_damaged_model_file_is_refused_by_name(tmp_path):
    folder = _copy_of_shipped(tmp_path)
    onnx = folder / ONNX_FILE
    data = bytearray(onnx.read_bytes())
    data[len(data) // 2] ^= 0xFF
    onnx.write_bytes(bytes(data))
    settings = dataclasses.replace(Settings(), embed_model=str(folder), cache_dir=tmp_path / "cache")
    with pytest.raises(ModelError, match="model.onnx does not match its checksum"):
        load_encoder(settings)


def test_torch_backend_on_an_onnx_only_folder_says_what_to_set(tmp_path):
    settings = dataclasses.replace(Settings(), embed_backend="torch")
    with pytest.raises(ModelError, match="EMBED_BACKEND=onnx"):
        load_encoder(settings)


def test_a_changed_model_forces_a_full_rebuild(tmp_path):
    from index.storage.builder import rebuild

    folder = _copy_of_shipped(tmp_path)
    settings = dataclasses.replace(Settings(), corpus_dir=CORPUS, index_dir=tmp_path / "index",
                                   embed_model=str(folder), cache_dir=tmp_path / "cache")
    first = rebuild(settings, encoder=load_encoder(settings))
    assert first.embedded_units > 0
    # A retrained model of the same size: the weights differ, so the checksums do.
    onnx = folder / ONNX_FILE
    data = bytearray(onnx.read_bytes())
    data[-100] ^= 0x01
    onnx.write_bytes(bytes(data))
    write_checksums(folder)
    again = rebuild(settings, encoder=load_encoder(settings))
    assert again.embedded_units == first.embedded_units and again.reused == 0


def test_training_texts_are_what_the_index_embeds(default_index, encoder):
    """Serving and training score a question against the same vectors: the sentence and window texts
    index/evaluation/training.py builds for a corpus embed to exactly the vectors the rebuild stored."""
    from index.evaluation.training import read_corpus_units
    from index.storage.loaded import open_index

    units = read_corpus_units(CORPUS)
    loaded = open_index(default_index)
    question = encoder.encode(["what did Abrams warn?"])[0]
    for level, texts in (("sentences", units.sentences), ("windows", units.windows)):
        store = loaded.dense[level]
        assert store.size == len(texts)
        stored = store.vectors(0, store.size)
        trained = encoder.encode(texts)
        assert np.allclose(stored @ question, trained @ question, atol=1e-5)
