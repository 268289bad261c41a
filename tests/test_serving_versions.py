"""A running process and rebuilds made elsewhere: it swaps to each newly published version between
questions, the version it serves is never pruned from under it, and answering never needs the write
lock (a rebuild running elsewhere or an index folder it may not write to still gets answers)."""

from __future__ import annotations

import shutil
import time

import pytest
from conftest import settings_for

from index.answering.spelling import speller_of
from index.engine import Engine
from index.errors import IndexReadOnly, RebuildBusy
from index.storage.builder import rebuild
from index.storage.loaded import open_index
from index.storage.store import KEEP_VERSIONS, IndexFolder

FERRY = "When did the ferry leave?"


def _write(corpus, hour: str) -> None:
    (corpus / "ferry.txt").write_text(f"The ferry left the harbour at {hour} with forty passengers.\n", encoding="utf-8")
    (corpus / "crane.md").write_text("# Crane\n\nThe crane on the pier collapsed during the storm.\n", encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory, encoder):
    root = tmp_path_factory.mktemp("serving")
    (root / "corpus").mkdir()
    _write(root / "corpus", "dawn")
    rebuild(settings_for(root / "corpus", root / "index"), encoder=encoder)
    return root


@pytest.fixture
def served(built, tmp_path):
    shutil.copytree(built, tmp_path / "s", symlinks=True)
    return settings_for(tmp_path / "s" / "corpus", tmp_path / "s" / "index")


def _verbatim(answer, corpus) -> bool:
    return all((corpus / q.doc).read_text(encoding="utf-8")[q.start:q.end] == q.text for q in answer.quotes)


def test_a_running_engine_swaps_to_versions_published_elsewhere_and_keeps_its_own(served, encoder):
    engine = Engine.open(served, auto_rebuild=False, encoder=encoder)
    first = engine.answer(FERRY)
    assert "dawn" in first.quotes[0].text and first.index == engine.index_directory.rsplit("/", 1)[1]
    held = IndexFolder(served.index_dir).current()
    for hour in ("noon", "dusk", "midnight"):
        _write(served.corpus_dir, hour)
        time.sleep(0.01)
        rebuild(served, encoder=encoder)  # as scripts/rebuild_index.py would, in another process
        answer = engine.answer(FERRY)
        assert hour in answer.quotes[0].text and _verbatim(answer, served.corpus_dir)
        assert answer.index == IndexFolder(served.index_dir).current().name
    assert not held.exists() or held == IndexFolder(served.index_dir).current(), "a released version is pruned"
    assert len(list(served.index_dir.glob("v-*"))) <= KEEP_VERSIONS


def test_the_version_a_reader_serves_is_never_pruned(served, encoder):
    index = open_index(served)  # holds a shared lock on its version for as long as it lives
    for hour in ("noon", "dusk", "midnight"):
        _write(served.corpus_dir, hour)
        time.sleep(0.01)
        rebuild(served, encoder=encoder)
    assert index.directory.is_dir(), "the served version was pruned from under its reader"
    assert speller_of(index.words).correct("pasengers") == "passengers", "files read on first use are still there"
    del index
    _write(served.corpus_dir, "dawn")
    rebuild(served, encoder=encoder)
    assert len(list(served.index_dir.glob("v-*"))) == KEEP_VERSIONS, "released, it is pruned by the next rebuild"
    assert not list(served.index_dir.glob("tmp-*"))


def test_reindex_after_an_outside_rebuild_serves_the_new_version(served, encoder):
    engine = Engine.open(served, auto_rebuild=False, encoder=encoder)
    _write(served.corpus_dir, "noon")
    rebuild(served, encoder=encoder)
    summary = engine.rebuild()
    assert summary.up_to_date
    assert engine.index_directory == str(IndexFolder(served.index_dir).current())


def test_questions_are_answered_while_another_rebuild_holds_the_lock(served, encoder):
    _write(served.corpus_dir, "noon")  # the index is now older than the corpus
    with IndexFolder(served.index_dir).lock():
        with pytest.raises(RebuildBusy):
            rebuild(served, encoder=encoder)
        notes: list[str] = []
        engine = Engine.open(served, encoder=encoder, notify=notes.append)
        answer = engine.answer(FERRY)
    assert "dawn" in answer.quotes[0].text, "answered from the published index"
    assert any("Another rebuild" in n and "published index" in n for n in answer.notes)
    assert any("Another rebuild" in n for n in notes)


def test_a_user_who_cannot_write_the_index_folder_gets_answers(served, encoder, monkeypatch):
    def refused(self):
        raise PermissionError(13, "Permission denied", str(self.root / ".lock"))

    monkeypatch.setattr(IndexFolder, "claim", refused)
    engine = Engine.open(served, encoder=encoder)  # up to date: no lock is needed at all
    assert engine.answer(FERRY).answered
    _write(served.corpus_dir, "noon")
    with pytest.raises(IndexReadOnly, match="No write access to the index folder .* set INDEX_DIR"):
        rebuild(served, encoder=encoder)
    engine = Engine.open(served, encoder=encoder)
    answer = engine.answer(FERRY)
    assert "dawn" in answer.quotes[0].text and any("No write access" in n for n in answer.notes)
