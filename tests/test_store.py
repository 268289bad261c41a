"""The index folder on disk: the manifest, the CURRENT pointer, the rebuild lock, publishing versions,
format versions and stale-corpus detection. Each problem is refused with a message that says how to
rebuild; most of these need no model."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from conftest import settings_for

from index.config import PROJECT_ROOT
from index.errors import IndexCorrupt, IndexIncompatible, IndexMissing, RebuildBusy
from index.storage.builder import corpus_changes, rebuild
from index.storage.loaded import open_index
from index.storage.store import (
    CURRENT_FILE,
    FORMAT_VERSION,
    KEEP_VERSIONS,
    MANIFEST_FILE,
    DocumentEntry,
    IndexFolder,
    Manifest,
    read_manifest,
    record_files,
    verify_files,
)

HINT = "rebuild_index.py"


def sample_manifest() -> Manifest:
    entry = DocumentEntry(
        path="sub/notes – café.md", sha256="ab" * 32, size=120, mtime_ns=1_700_000_000_123_456_789, chars=118,
        byte_start=0, byte_end=120, first_unit=0, units=3, first_paragraph=0, paragraphs=2,
        indexed_at="2026-11-22T10:00:00+0000",
    )
    return Manifest(
        model={"name": "m", "fingerprint": "f", "backend": "torch", "dim": 384},
        chunker={"version": 3, "max_sentence_chars": 500},
        store={"kind": "flat"},
        documents=[entry, dataclasses.replace(entry, path="b.txt", first_unit=3, units=1)],
        skipped=[{"path": "bad.txt", "reason": "empty file", "size": 0, "mtime_ns": 5}],
        files={"units.npy": {"size": 10, "sha256": "cd" * 32}},
        created="2026-11-22T10:00:00+0000",
    )


# --- the manifest -----------------------------------------------------------------------------------


def test_manifest_round_trips_through_json(tmp_path):
    manifest = sample_manifest()
    (tmp_path / MANIFEST_FILE).write_bytes(manifest.to_json())
    loaded = read_manifest(tmp_path)
    assert loaded == manifest
    assert loaded.unit_count == 4 and loaded.format_version == FORMAT_VERSION
    assert "café" in (tmp_path / MANIFEST_FILE).read_text(encoding="utf-8")  # readable, not escaped


@pytest.mark.parametrize(
    "data",
    [b"", b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe{}", json.dumps({"format_version": FORMAT_VERSION}).encode()],
    ids=["empty", "garbage", "list", "string", "not-utf8", "keys-missing"],
)
def test_unreadable_manifest_is_corrupt_with_the_rebuild_hint(tmp_path, data):
    (tmp_path / MANIFEST_FILE).write_bytes(data)
    with pytest.raises(IndexCorrupt, match=f"{MANIFEST_FILE}.*{HINT}"):
        read_manifest(tmp_path)


def test_manifest_with_unknown_document_fields_is_corrupt(tmp_path):
    raw = json.loads(sample_manifest().to_json())
    raw["documents"][0]["surprise"] = 1
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(IndexCorrupt, match=HINT):
        read_manifest(tmp_path)


def test_missing_manifest_is_corrupt(tmp_path):
    with pytest.raises(IndexCorrupt, match=f"no {MANIFEST_FILE}.*{HINT}"):
        read_manifest(tmp_path)


@pytest.mark.parametrize("version", [FORMAT_VERSION - 1, FORMAT_VERSION + 1, None])
def test_index_of_another_format_version_is_refused_with_the_rebuild_hint(tmp_path, version):
    raw = json.loads(sample_manifest().to_json())
    raw["format_version"] = version
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(IndexIncompatible, match=f"format version {version}.*reads version {FORMAT_VERSION}.*{HINT}"):
        read_manifest(tmp_path)


def test_verify_files_refuses_missing_altered_and_outside_files(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"abc")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.bin").write_bytes(b"defg")
    manifest = sample_manifest()
    manifest.files = record_files(tmp_path, ["a.bin", "d"])
    assert set(manifest.files) == {"a.bin", "d/b.bin"}
    verify_files(tmp_path, manifest)
    (tmp_path / "d" / "b.bin").write_bytes(b"defh")
    with pytest.raises(IndexCorrupt, match="checksum"):
        verify_files(tmp_path, manifest)
    (tmp_path / "d" / "b.bin").unlink()
    with pytest.raises(IndexCorrupt, match="missing"):
        verify_files(tmp_path, manifest)
    manifest.files = {"../outside.bin": {"size": 0, "sha256": ""}}
    with pytest.raises(IndexCorrupt, match="outside the index"):
        verify_files(tmp_path, manifest)
    manifest.files = {}
    with pytest.raises(IndexCorrupt, match="lists no files"):
        verify_files(tmp_path, manifest)


# --- the CURRENT pointer ----------------------------------------------------------------------------


def test_no_current_pointer_means_no_index(tmp_path):
    assert IndexFolder(tmp_path).current() is None
    with pytest.raises(IndexMissing, match=f"no index in {tmp_path}.*{HINT}"):
        open_index(settings_for(tmp_path / "corpus", tmp_path))


@pytest.mark.parametrize(
    "content",
    [b"", b"\n", b"\xff\xfe\xfa", b"garbage", b"tmp-123", b"v-1/../../etc", b"../v-1", b"/tmp/v-1", b"v-1/manifest.json"],
    ids=["empty", "newline", "not-utf8", "garbage", "temp-folder", "climbs-out", "parent", "absolute", "nested"],
)
def test_garbage_or_escaping_current_pointer_is_corrupt(tmp_path, content):
    (tmp_path / CURRENT_FILE).write_bytes(content)
    with pytest.raises(IndexCorrupt, match=f"{CURRENT_FILE}.*{HINT}"):
        IndexFolder(tmp_path).current()
    with pytest.raises(IndexCorrupt, match=HINT):
        open_index(settings_for(tmp_path / "corpus", tmp_path))


def test_current_pointing_at_a_missing_version_is_corrupt(tmp_path):
    (tmp_path / CURRENT_FILE).write_text("v-20260101T000000-deadbeef\n", encoding="utf-8")
    assert IndexFolder(tmp_path).current() == tmp_path / "v-20260101T000000-deadbeef"
    with pytest.raises(IndexCorrupt, match=f"points at v-20260101T000000-deadbeef, which is missing.*{HINT}"):
        open_index(settings_for(tmp_path / "corpus", tmp_path))


def test_publish_swaps_current_and_keeps_the_previous_version(tmp_path):
    folder = IndexFolder(tmp_path)
    published = []
    for number in range(KEEP_VERSIONS + 2):
        with folder.lock():
            (tmp_path / "tmp-0123456789ab").mkdir(exist_ok=True)
            temp = folder.new_temp()
            assert not (tmp_path / "tmp-0123456789ab").exists(), "a killed rebuild's folder is removed"
            (temp / "data.txt").write_text(str(number), encoding="utf-8")
            published.append(folder.publish(temp))
        time.sleep(0.01)  # distinct modification times for pruning
        assert folder.current() == published[-1]
        assert (folder.current() / "data.txt").read_text(encoding="utf-8") == str(number)
        assert not temp.exists()
    versions = sorted(p for p in tmp_path.glob("v-*"))
    assert versions == sorted(published[-KEEP_VERSIONS:]), "the served version and the one before it remain"
    assert not list(tmp_path.glob("tmp-*")) and not list(tmp_path.glob(".CURRENT*"))


def _user_files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_folder_of_user_files_is_refused_and_not_one_byte_changes(tmp_path):
    from index.errors import IndexFolderRefused

    home = tmp_path / "home"
    for name, text in {"tmp-drafts/a.md": "draft", "v-1.0/guide.md": "guide", "CURRENT": "mine", "notes.txt": "x"}.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(text, encoding="utf-8")
    before = _user_files(home)
    with pytest.raises(IndexFolderRefused, match=r"holds files that are not an index.*set INDEX_DIR \(or --index\) to an empty or new folder"):
        with IndexFolder(home).lock():
            pass
    assert _user_files(home) == before and not (home / ".lock").exists()


def test_an_index_folder_that_is_or_holds_or_lies_in_the_corpus_is_refused(tmp_path):
    from index.errors import IndexFolderRefused

    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.md").write_text("Words.", encoding="utf-8")
    for root, word in ((corpus, "is"), (tmp_path, "holds"), (corpus / "index", "lies inside")):
        with pytest.raises(IndexFolderRefused, match=f"INDEX_DIR .* {word} the corpus folder"):
            IndexFolder(root, corpus=corpus).claim()
    assert sorted(p.name for p in corpus.iterdir()) == ["a.md"]


def test_only_names_the_index_creates_are_pruned_in_a_marked_folder(tmp_path):
    folder = IndexFolder(tmp_path / "index")
    with folder.lock():
        pass  # creates and marks the folder
    for name in ("tmp-drafts", "v-1.0", "v-2026-notes"):
        (tmp_path / "index" / name).mkdir()
        (tmp_path / "index" / name / "keep.md").write_text("mine", encoding="utf-8")
    for _ in range(KEEP_VERSIONS + 1):
        with folder.lock():
            folder.publish(folder.new_temp())
        time.sleep(0.01)
    for name in ("tmp-drafts", "v-1.0", "v-2026-notes"):
        assert (tmp_path / "index" / name / "keep.md").read_text(encoding="utf-8") == "mine"


def test_an_index_of_an_earlier_version_is_adopted(tmp_path):
    old = tmp_path / "index"
    (old / "v-20260101T000000-deadbeef").mkdir(parents=True)
    (old / "v-20260101T000000-deadbeef" / "manifest.json").write_text("{}", encoding="utf-8")
    (old / "CURRENT").write_text("v-20260101T000000-deadbeef\n", encoding="utf-8")
    IndexFolder(old).claim()
    assert (old / ".quotebot-index").is_file()


# --- the rebuild lock -------------------------------------------------------------------------------


def test_lock_is_exclusive_within_a_process(tmp_path):
    folder = IndexFolder(tmp_path)
    with folder.lock():
        with pytest.raises(RebuildBusy, match=f"Another rebuild of {tmp_path} is running"):
            with IndexFolder(tmp_path).lock():
                pass
    with folder.lock():  # released on exit
        pass


def test_rebuild_while_another_process_holds_the_lock_is_busy_until_it_dies(tmp_path):
    """The lock is the OS's: a rebuild in another process blocks this one, and when that process is
    killed the lock goes with it (a killed rebuild never blocks the next)."""
    index_dir = tmp_path / "index"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom pathlib import Path\nfrom index.storage.store import IndexFolder\n"
         "with IndexFolder(Path(sys.argv[1])).lock():\n    print('locked', flush=True)\n    time.sleep(120)\n",
         str(index_dir)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        (corpus / "a.txt").write_text("One sentence.", encoding="utf-8")
        with pytest.raises(RebuildBusy, match="wait for it to finish"):
            rebuild(settings_for(corpus, index_dir))  # raises before any model is needed
    finally:
        holder.kill()
        holder.wait(timeout=30)
    with IndexFolder(index_dir).lock():
        pass


# --- with a real (tiny) index -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_built(tmp_path_factory, encoder):
    """Two short documents and one that is not UTF-8, indexed once for the module."""
    root = tmp_path_factory.mktemp("tiny")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The ferry was cancelled. The crane collapsed.\n", encoding="utf-8")
    (corpus / "b.md").write_text("# Notes\n\nRepairs take three weeks.\n", encoding="utf-8")
    (corpus / "bad.txt").write_bytes(b"\xff\xfe not utf-8")
    rebuild(settings_for(corpus, root / "index"), encoder=encoder)
    return root


@pytest.fixture
def tiny(tiny_built, tmp_path):
    """A private copy of the tiny corpus and its index (copied with modification times, so the copy
    is up to date)."""
    shutil.copytree(tiny_built, tmp_path / "tiny", symlinks=True)
    settings = settings_for(tmp_path / "tiny" / "corpus", tmp_path / "tiny" / "index")
    assert corpus_changes(settings, open_index(settings).manifest) == ""
    return settings


def test_corpus_changes_names_added_changed_and_removed_documents(tiny):
    manifest = open_index(tiny).manifest
    corpus = tiny.corpus_dir
    assert corpus_changes(tiny, manifest) == "", "a skipped file that did not change is not a change"
    (corpus / "c.txt").write_text("A new document.", encoding="utf-8")
    assert corpus_changes(tiny, manifest) == "1 added"
    (corpus / "a.txt").write_text("The ferry was cancelled again. The crane collapsed.\n", encoding="utf-8")
    (corpus / "b.md").unlink()
    assert corpus_changes(tiny, manifest) == "1 added, 1 changed, 1 removed"


def test_touching_a_document_is_no_change_and_the_rebuild_reuses_it(tiny, encoder):
    """A document whose modification time alone moved (`touch`, git checkout) is read and found the
    same: the index is not stale (questions need no rebuild, --no-rebuild answers); a rebuild reuses
    its vectors. The same size with other bytes is a change."""
    from index.engine import Engine

    path = tiny.corpus_dir / "a.txt"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert corpus_changes(tiny, open_index(tiny).manifest) == ""
    Engine.open(tiny, auto_rebuild=False, encoder=encoder)  # not stale
    text = path.read_bytes()
    path.write_bytes(text[:-2] + bytes([text[-2] ^ 1]) + text[-1:])  # same size, one byte changed
    assert corpus_changes(tiny, open_index(tiny).manifest) == "1 changed"
    path.write_bytes(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    summary = rebuild(tiny, encoder=encoder)
    assert not summary.up_to_date and summary.changed == [] and summary.embedded_units == 0
    assert corpus_changes(tiny, open_index(tiny).manifest) == ""


def test_stale_index_is_refused_without_auto_rebuild_and_rebuilt_with_it(tiny, encoder):
    from index.engine import Engine
    from index.errors import IndexStale

    (tiny.corpus_dir / "c.txt").write_text("The lighthouse keeper counted forty ships.", encoding="utf-8")
    with pytest.raises(IndexStale, match="older than the corpus \\(1 added\\)"):
        Engine.open(tiny, auto_rebuild=False, encoder=encoder)
    notices: list[str] = []
    engine = Engine.open(tiny, notify=notices.append, encoder=encoder)
    assert any("Rebuilding the index" in n for n in notices)
    assert "c.txt" in {s.path for s in engine.sources()}


@pytest.mark.parametrize("damage", ["garbage-current", "old-format"])
def test_rebuild_replaces_an_unusable_index(tiny, encoder, damage):
    folder = IndexFolder(tiny.index_dir)
    if damage == "garbage-current":
        (tiny.index_dir / CURRENT_FILE).write_text("../../etc\n", encoding="utf-8")
    else:
        manifest_path = folder.current() / MANIFEST_FILE
        raw = json.loads(manifest_path.read_text(encoding="utf-8"))
        raw["format_version"] = FORMAT_VERSION - 1
        manifest_path.write_text(json.dumps(raw), encoding="utf-8")
        with pytest.raises(IndexIncompatible, match=HINT):
            open_index(tiny)
    summary = rebuild(tiny, encoder=encoder)
    assert "building from scratch" in summary.note
    assert summary.embedded_units == summary.units == 4
    assert open_index(tiny).size == 4


def test_index_split_by_another_splitter_version_is_refused_and_fully_rebuilt(tiny, encoder):
    manifest_path = IndexFolder(tiny.index_dir).current() / MANIFEST_FILE
    raw = json.loads(manifest_path.read_text(encoding="utf-8"))
    raw["chunker"]["version"] -= 1
    manifest_path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(IndexIncompatible, match="another version of the sentence splitter"):
        open_index(tiny, verify=False)
    summary = rebuild(tiny, encoder=encoder)
    assert "sentence splitter changed" in summary.note and summary.reused == 0
