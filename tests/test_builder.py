"""Rebuilding: incremental (changed, added, deleted documents), bad documents reported by name, and
atomic (a killed rebuild leaves the previous index loadable)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import settings_for

from index.config import PROJECT_ROOT
from index.errors import CorpusEmpty, IndexCorrupt, IndexIncompatible, IndexMissing
from index.storage.builder import rebuild
from index.storage.loaded import open_index
from index.storage.store import IndexFolder, read_manifest

EXTRA = "extra.txt"
EXTRA_TEXT = (
    "The lighthouse keeper counted forty-two ships in the harbour on Tuesday.\n\n"
    "Nobody else in the village kept such careful records of the weather.\n"
)


TOPICS = ("harbour", "orchard", "railway")


@pytest.fixture
def corpus(tmp_path):
    """Three small documents: quick to embed, enough to tell documents apart."""
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    for number, topic in enumerate(TOPICS):
        sentences = [f"Sentence {k} of the {topic} notes says the {topic} had {k + number} visitors." for k in range(8)]
        text = f"The {topic} report\n\n" + " ".join(sentences[:4]) + "\n\n" + " ".join(sentences[4:]) + "\n"
        (folder / ("sub" if number == 2 else "") / f"{topic}.md").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def built(corpus, tmp_path, encoder):
    settings = settings_for(corpus, tmp_path / "index")
    summary = rebuild(settings, encoder=encoder)
    return settings, summary


def test_first_build_embeds_everything(built):
    settings, summary = built
    assert summary.documents == 3 and summary.units == 3 * 9
    assert sorted(summary.added) == ["harbour.md", "orchard.md", "sub/railway.md"]
    assert summary.embedded_units == summary.units and summary.reused == 0
    index = open_index(settings)
    assert index.size == summary.units


def test_unchanged_corpus_is_a_quick_no_op_without_the_model(built):
    settings, _ = built
    before = IndexFolder(settings.index_dir).current()
    started = time.monotonic()
    summary = rebuild(settings, encoder=None)  # would load the model if anything needed embedding
    assert summary.up_to_date
    assert time.monotonic() - started < 2.0
    assert IndexFolder(settings.index_dir).current() == before


def test_added_changed_and_deleted_documents(built, encoder):
    settings, first = built
    corpus = settings.corpus_dir
    (corpus / EXTRA).write_text(EXTRA_TEXT, encoding="utf-8")
    summary = rebuild(settings, encoder=encoder)
    assert summary.added == [EXTRA] and summary.reused == 3
    assert summary.embedded_units == 2

    old = open_index(settings)
    changed = corpus / "orchard.md"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nA closing sentence was added later.\n", encoding="utf-8")
    (corpus / EXTRA).unlink()
    summary = rebuild(settings, encoder=encoder)
    assert summary.changed == ["orchard.md"]
    assert summary.removed == [EXTRA]
    assert summary.reused == 2 and summary.embedded_units == 10
    new = open_index(settings)
    assert EXTRA not in new.doc_names
    blog = next(d for d in new.manifest.documents if d.path == "sub/railway.md")
    old_blog = next(d for d in old.manifest.documents if d.path == "sub/railway.md")
    # The unchanged document's vectors were copied, not recomputed: identical bits.
    assert np.array_equal(
        new.dense["sentences"].vectors(blog.first_unit, blog.first_unit + blog.units),
        old.dense["sentences"].vectors(old_blog.first_unit, old_blog.first_unit + old_blog.units),
    )


def test_bad_documents_are_reported_and_the_rest_indexed(corpus, tmp_path, encoder):
    (corpus / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    (corpus / "empty.md").write_text("", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    summary = rebuild(settings_for(corpus, tmp_path / "index"), encoder=encoder)
    reasons = {s.path: s.reason for s in summary.skipped}
    assert set(reasons) == {"latin1.txt", "empty.md", "binary.txt"}
    assert all(reasons.values())
    assert summary.documents == 3


def test_empty_corpus_is_a_clear_error(tmp_path, encoder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.pdf").write_bytes(b"%PDF")
    with pytest.raises(CorpusEmpty, match="CORPUS_DIR"):
        rebuild(settings_for(corpus, tmp_path / "index"), encoder=encoder)


def test_missing_index_is_reported(tmp_path, corpus):
    with pytest.raises(IndexMissing, match="rebuild_index.py"):
        open_index(settings_for(corpus, tmp_path / "nothing"))


def test_index_of_another_model_is_refused(built):
    settings, _ = built
    directory = IndexFolder(settings.index_dir).current()
    manifest_path = directory / "manifest.json"
    manifest_path.write_text(manifest_path.read_text().replace('"fingerprint": "', '"fingerprint": "x'))
    with pytest.raises(IndexIncompatible, match="--full"):
        open_index(settings)


@pytest.mark.parametrize("target", ["units.npy", "dense/sentences/vectors.faiss", "lexical/sentences/data.csc.index.npy"])
def test_altered_or_truncated_files_are_detected(built, target):
    settings, _ = built
    path = IndexFolder(settings.index_dir).current() / target
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match="checksum"):
        open_index(settings)
    path.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(IndexCorrupt, match="truncated"):
        open_index(settings)


def test_killed_rebuild_leaves_the_previous_index_serving(small_corpus, tmp_path, encoder):
    """kill -9 a full rebuild of the real corpus while it embeds: the old version stays current and
    loadable, and the next rebuild cleans up and succeeds."""
    settings = settings_for(small_corpus, tmp_path / "index")
    rebuild(settings, encoder=encoder)
    before = IndexFolder(settings.index_dir).current()
    env = dict(os.environ, CORPUS_DIR=str(settings.corpus_dir), INDEX_DIR=str(settings.index_dir))
    process = subprocess.Popen(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "rebuild_index.py"), "--full"],  # progress lines: stderr is no terminal
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    for line in process.stderr:  # wait until it is embedding, then kill it
        if line.startswith("embedding"):
            time.sleep(0.5)
            break
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert IndexFolder(settings.index_dir).current() == before
    assert open_index(settings).size > 0
    assert any(settings.index_dir.glob("tmp-*")), "the killed rebuild left its temporary folder"
    summary = rebuild(settings, full=True, encoder=encoder)
    assert not summary.up_to_date
    assert not any(settings.index_dir.glob("tmp-*"))
    assert read_manifest(IndexFolder(settings.index_dir).current()).unit_count == summary.units


class _CountingEncoder:
    """The real encoder, recording how many texts each call gets."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.identity = inner.identity
        self.calls: list[int] = []

    def encode(self, texts, batch_size=64, on_batch=None):
        self.calls.append(len(texts))
        return self.inner.encode(texts, batch_size=batch_size, on_batch=on_batch)


def test_many_tiny_documents_are_embedded_in_few_calls(tmp_path, encoder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for number in range(150):
        (corpus / f"note-{number:03d}.txt").write_text(f"Note {number} records {number} geese.\n", encoding="utf-8")
    counting = _CountingEncoder(encoder)
    summary = rebuild(settings_for(corpus, tmp_path / "index"), encoder=counting)
    assert summary.documents == 150 and summary.embedded_units == 150
    # One call per dense level (sentences, windows, paragraphs), not one per document and level.
    assert counting.calls == [150, 150, 150]


def test_a_document_read_differently_is_embedded_again(tmp_path, encoder, monkeypatch):
    """Vectors are reused for the same extracted text, not merely the same file: after a reader
    change (here a PDF repair that swaps a word for one of the same length), the PDF is embedded
    again when a rebuild runs, while an untouched text file keeps its vectors."""
    from test_formats import make_pdf

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "guide.pdf").write_bytes(make_pdf(["Refunds are paid within fourteen days."]))
    (corpus / "notes.txt").write_text("The office opens at nine.\n", encoding="utf-8")
    settings = settings_for(corpus, tmp_path / "index")
    rebuild(settings, encoder=encoder)

    import index.documents.formats.pdf as pdf_reader

    original = pdf_reader.repair
    monkeypatch.setattr(pdf_reader, "repair", lambda pages: [p.replace("fourteen", "eighteen") for p in original(pages)])
    (corpus / "extra.txt").write_text("Parking is free on Sundays.\n", encoding="utf-8")
    summary = rebuild(settings, encoder=encoder)
    assert summary.reused == 1, "only notes.txt keeps its vectors"
    assert summary.embedded_units == 2
    index = open_index(settings)
    guide = next(d for d in index.manifest.documents if d.path == "guide.pdf")
    assert bytes(index.text[guide.byte_start:guide.byte_end]).decode("utf-8") == "Refunds are paid within eighteen days."
