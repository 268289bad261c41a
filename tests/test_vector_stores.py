"""The vector store behind the engine: FAISS switching from exact to IVF-SQ8 above ANN_THRESHOLD, the
store kind recorded in the manifest and checked on load, and Qdrant (local mode, and per-version
collections as a server keeps them) answering through the same engine with the real model."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from conftest import settings_for

from index.engine import Engine
from index.errors import IndexCorrupt, IndexIncompatible
from index.storage.builder import rebuild
from index.storage.loaded import open_index
from index.storage.store import IndexFolder, read_manifest

QUESTION = "What did Abrams warn about?"


def _answer_is_verbatim(engine: Engine, corpus) -> list:
    answer = engine.answer(QUESTION)
    assert answer.quotes, "no quotes came back"
    for quote in answer.quotes:
        document = (corpus / quote.doc).read_text(encoding="utf-8")
        assert document[quote.start:quote.end] == quote.text
    return answer.quotes


def _rewrite_manifest(settings, change) -> None:
    path = IndexFolder(settings.index_dir).current() / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture
def ann_settings(small_corpus, tmp_path):
    """The default corpus (152 sentences, about 40 paragraphs) with the switch at 50 vectors."""
    return dataclasses.replace(settings_for(small_corpus, tmp_path / "index"), ann_threshold=50)


def test_levels_above_the_threshold_switch_to_ivf_sq8(ann_settings, encoder, engine):
    rebuild(ann_settings, encoder=encoder)
    manifest = read_manifest(IndexFolder(ann_settings.index_dir).current())
    store = manifest.store
    assert store["backend"] == "faiss" and store["kind"] == "ivf-sq8" and store["ann_threshold"] == 50
    sentences = store["levels"]["sentences"]
    assert sentences["kind"] == "ivf-sq8" and sentences["vectors"] == manifest.unit_count
    assert 1 <= sentences["nprobe"] <= sentences["nlist"] <= sentences["vectors"] // 39
    paragraphs = store["levels"]["paragraphs"]
    assert paragraphs["kind"] == ("ivf-sq8" if paragraphs["vectors"] > 50 else "flat")
    assert "dense/sentences/vectors.npy" in manifest.files and "dense/sentences/ann.faiss" in manifest.files

    ann_engine = Engine.open(ann_settings, auto_rebuild=False, encoder=encoder)
    quotes = _answer_is_verbatim(ann_engine, ann_settings.corpus_dir)
    exact = engine.answer(QUESTION).quotes
    assert quotes[0].text == exact[0].text  # the compressed store finds the same best quote here

    # Similarities come from 8-bit codes: close to the exact ones, not equal.
    index = open_index(ann_settings)
    vector = encoder.encode([QUESTION])[0]
    ids = np.arange(index.size)
    exact_vectors = index.dense["sentences"].vectors(0, index.size)
    assert np.allclose(index.dense["sentences"].similarities(vector, ids), exact_vectors @ vector, atol=0.02)


def test_incremental_rebuild_copies_exact_vectors_from_an_ivf_index(ann_settings, encoder):
    rebuild(ann_settings, encoder=encoder)
    old = open_index(ann_settings)
    extra = ann_settings.corpus_dir / "extra.txt"
    extra.write_text("The lighthouse keeper counted forty-two ships in the harbour on Tuesday.\n", encoding="utf-8")
    summary = rebuild(ann_settings, encoder=encoder)
    assert summary.added == ["extra.txt"] and summary.embedded_units == 1 and summary.reused == 2
    new = open_index(ann_settings)
    assert new.manifest.store["levels"]["sentences"]["kind"] == "ivf-sq8"
    for document in old.manifest.documents:
        moved = next(d for d in new.manifest.documents if d.path == document.path)
        assert np.array_equal(  # bit for bit: copied from the exact copy, not from the 8-bit codes
            new.dense["windows"].vectors(moved.first_unit, moved.first_unit + moved.units),
            old.dense["windows"].vectors(document.first_unit, document.first_unit + document.units),
        )


def test_tampered_store_kind_is_detected(ann_settings, encoder):
    rebuild(ann_settings, encoder=encoder)

    def claim_flat(manifest):
        manifest["store"]["levels"]["sentences"] = {"kind": "flat", "vectors": manifest["store"]["levels"]["sentences"]["vectors"]}

    _rewrite_manifest(ann_settings, claim_flat)
    with pytest.raises(IndexCorrupt, match="no vectors.faiss"):
        open_index(ann_settings)

    def other_parameters(manifest):
        manifest["store"]["levels"]["sentences"] = {**manifest["store"]["levels"]["sentences"], "kind": "ivf-sq8", "nlist": 999}

    _rewrite_manifest(ann_settings, other_parameters)
    with pytest.raises(IndexCorrupt, match="nlist"):
        open_index(ann_settings)


def test_exact_copy_of_an_ivf_level_is_checked_before_reuse(ann_settings, encoder):
    """Serving never reads vectors.npy (so loading does not hash it); a rebuild that reuses it does."""
    rebuild(ann_settings, encoder=encoder)
    path = IndexFolder(ann_settings.index_dir).current() / "dense" / "sentences" / "vectors.npy"
    data = bytearray(path.read_bytes())
    data[-7] ^= 0x40
    path.write_bytes(bytes(data))
    assert open_index(ann_settings).size > 0
    (ann_settings.corpus_dir / "extra.txt").write_text("A new sentence about the harbour.\n", encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="vectors.npy"):
        rebuild(ann_settings, encoder=encoder)


def test_index_built_with_another_store_is_incompatible(small_corpus, tmp_path, encoder):
    settings = settings_for(small_corpus, tmp_path / "index")
    rebuild(settings, encoder=encoder)
    qdrant = dataclasses.replace(settings, vector_store="qdrant")
    with pytest.raises(IndexIncompatible, match="VECTOR_STORE=faiss.*rebuild_index.py"):
        open_index(qdrant)
    summary = rebuild(qdrant, encoder=encoder)
    assert "vector store changed" in summary.note and summary.embedded_units == summary.units
    assert read_manifest(IndexFolder(settings.index_dir).current()).store["backend"] == "qdrant"


def test_qdrant_local_mode_end_to_end(small_corpus, tmp_path, encoder, engine):
    pytest.importorskip("qdrant_client")
    settings = dataclasses.replace(settings_for(small_corpus, tmp_path / "index"), vector_store="qdrant")
    qdrant_engine = Engine.open(settings, encoder=encoder)
    manifest = read_manifest(IndexFolder(settings.index_dir).current())
    assert manifest.store["backend"] == "qdrant" and manifest.store["kind"] == "qdrant-local"
    assert "dense/sentences/vectors.npy" in manifest.files  # inside the version folder, checksummed
    quotes = _answer_is_verbatim(qdrant_engine, small_corpus)
    assert [q.text for q in quotes] == [q.text for q in engine.answer(QUESTION).quotes]

    (small_corpus / "extra.txt").write_text("The harbour master said the ferry was late.\n", encoding="utf-8")
    before = open_index(settings)
    summary = rebuild(settings, encoder=encoder)
    assert summary.reused == 2 and summary.embedded_units == 1
    after = open_index(settings)
    first = before.manifest.documents[0]
    moved = next(d for d in after.manifest.documents if d.path == first.path)
    assert np.array_equal(
        after.dense["sentences"].vectors(moved.first_unit, moved.first_unit + moved.units),
        before.dense["sentences"].vectors(first.first_unit, first.first_unit + first.units),
    )


def test_qdrant_server_collections_are_per_version_and_pruned(small_corpus, tmp_path, encoder, monkeypatch):
    """With QDRANT_URL set, vectors live in server collections named per version. No Qdrant server
    runs here, so qdrant-client's in-process mode stands in for it (one instance, shared like a server)."""
    qdrant_client = pytest.importorskip("qdrant_client")
    server = qdrant_client.QdrantClient(location=":memory:")
    monkeypatch.setattr("index.dense.qdrant_store.connect", lambda settings: server)
    settings = dataclasses.replace(
        settings_for(small_corpus, tmp_path / "index"), vector_store="qdrant",
        qdrant_url="http://127.0.0.1:6333", qdrant_collection="test-quotes",
    )
    server.create_collection("someone-else", vectors_config=qdrant_client.models.VectorParams(size=4, distance="Dot"))
    rebuild(settings, encoder=encoder)
    first = read_manifest(IndexFolder(settings.index_dir).current()).store
    assert first["kind"] == "qdrant-server" and first["url"] == settings.qdrant_url
    names = {entry["collection"] for entry in first["levels"].values()}
    assert all(name.startswith("test-quotes-") for name in names) and len(names) == 3
    assert not any((IndexFolder(settings.index_dir).current() / "dense").rglob("*.npy"))
    _answer_is_verbatim(Engine.open(settings, auto_rebuild=False, encoder=encoder), small_corpus)

    for round_ in range(2):  # versions beyond the two kept take their collections with them
        (small_corpus / f"extra{round_}.txt").write_text(f"Note {round_} about the harbour.\n", encoding="utf-8")
        rebuild(settings, encoder=encoder)
    kept = [read_manifest(v).store for v in settings.index_dir.glob("v-*")]
    expected = {entry["collection"] for store in kept for entry in store["levels"].values()} | {"someone-else"}
    assert {c.name for c in server.get_collections().collections} == expected
    assert not names & expected

    moved = dataclasses.replace(settings, qdrant_url="http://127.0.0.1:6334")
    with pytest.raises(IndexIncompatible, match="QDRANT_URL"):
        open_index(moved)


def test_missing_qdrant_client_names_the_install_command(small_corpus, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def without_qdrant(name, *args, **kwargs):
        if name.startswith("qdrant_client"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_qdrant)
    from index.dense.qdrant_store import connect
    from index.errors import QdrantUnavailable

    settings = dataclasses.replace(settings_for(small_corpus, tmp_path / "index"), vector_store="qdrant")
    with pytest.raises(QdrantUnavailable, match=r"pip install qdrant-client==1\.20\.0"):
        connect(settings)


def test_changing_the_threshold_reindexes_stored_vectors_without_the_model(small_corpus, tmp_path, encoder):
    settings = settings_for(small_corpus, tmp_path / "index")
    rebuild(settings, encoder=encoder)
    exact = open_index(settings)
    assert exact.manifest.store["kind"] == "flat"
    lowered = dataclasses.replace(settings, ann_threshold=50)
    summary = rebuild(lowered, encoder=None)  # would load the model if anything needed embedding
    assert not summary.up_to_date and summary.embedded_units == 0 and "ANN_THRESHOLD" in summary.note
    ann = open_index(lowered)
    assert ann.manifest.store["levels"]["sentences"]["kind"] == "ivf-sq8"
    assert np.array_equal(ann.dense["sentences"].vectors(0, ann.size), exact.dense["sentences"].vectors(0, exact.size))
    assert rebuild(lowered, encoder=None).up_to_date


def test_index_written_before_store_records_still_loads(small_corpus, tmp_path, encoder):
    """Flat indexes of the first format recorded only {"kind": "flat"}: they load and stay up to date."""
    settings = settings_for(small_corpus, tmp_path / "index")
    rebuild(settings, encoder=encoder)
    _rewrite_manifest(settings, lambda manifest: manifest.update(store={"kind": "flat"}))
    assert open_index(settings).dense["sentences"].size > 0
    assert rebuild(settings, encoder=None).up_to_date
