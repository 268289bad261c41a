"""Regressions found by the hostile-input and fault campaign (scripts/campaign.py), one test each."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from bot.terminal.cli import _decoded
from index.config import PROJECT_ROOT


def test_lone_surrogates_in_a_question_are_answered_not_crashed(engine):
    """Discord's JSON can carry half a UTF-16 pair ("\\ud83d"); the tokenizer raised TypeError."""
    for question in ("\ud800", "\udcff\udc80", "\ud83d\ude00"):
        assert not engine.answer(question).answered
    answer = engine.answer("what did \ud83d Abrams warn?")
    assert answer.answered and "Abrams warned" in answer.quotes[0].text


def test_cli_reads_questions_that_are_not_utf8(default_index):
    """Invalid UTF-8 on standard input or in an argument is replaced, answered and echoed as JSON."""
    env = dict(os.environ, CORPUS_DIR=str(default_index.corpus_dir), INDEX_DIR=str(default_index.index_dir))
    stdin = b"what did \xed\xa0\x80 Abrams warn?\n\xff\xfe\n"
    result = subprocess.run([sys.executable, "-m", "bot.cli", "--json", "--no-rebuild", "-"], cwd=PROJECT_ROOT,
                            env=env, input=stdin, capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    first, second = (json.loads(line) for line in result.stdout.decode("utf-8").splitlines())
    assert first["answered"] and first["question"].startswith("what did \ufffd")
    assert second["question"] == "\ufffd\ufffd" and not second["answered"]
    assert _decoded(os.fsdecode(b"caf\xe9")) == "caf\ufffd" and _decoded("\ud800") == "\ufffd" * 3


def test_a_quote_starting_with_a_list_number_is_not_rendered_as_a_list():
    """A numbered document line before the answering sentence rendered as `> 1. **...**`: a list."""
    import re

    from bot.discord.render import render_answer
    from index.answer import Answer, Quote

    for text, focus_start in (("1. The vault rotation happens every Monday.", 3), ("2) The key is in the safe.", 0),
                              ("- The backup key is red.", 2), ("12. The log is kept for ninety days.", 0)):
        quote = Quote("doc.md", 0, len(text), text, 0.9, 1, 1, (focus_start, len(text)))
        line = render_answer(Answer("q", True, [quote])).split("\n")[0]
        assert not re.match(r"> \s*([-+*]|\d+[.)])(\s|$)", line), line  # no live list marker
        shown = re.sub(r"\\([^0-9A-Za-z\s])", r"\1", line[2:]).replace("**", "")  # what Discord shows
        assert shown == text, line


def test_corpus_listing_survives_deep_folders_bad_names_and_broken_links(tmp_path):
    """os.walk recursed once per folder (RecursionError past ~1,000 levels); a file name that is not
    UTF-8 reached the manifest and crashed its JSON encoding after all the embedding was done."""
    from index.documents.corpus import list_documents

    corpus = tmp_path / "corpus"
    deep = corpus
    corpus.mkdir()
    for _ in range(1200):  # os.makedirs recurses too
        deep = deep / "d"
        os.mkdir(deep)
    (deep / "deep.txt").write_text("The deep note mentions the mine.\n", encoding="utf-8")
    with open(os.fsencode(corpus) + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"A Latin-1 file name.\n")
    os.symlink("missing.txt", corpus / "dangling.txt")
    try:
        found, skipped = list_documents(corpus)
        reasons = {s.path: s.reason for s in skipped}
        assert [f.path for f in found] == ["d/" * 1200 + "deep.txt"]
        assert reasons["caf\ufffd.txt"].startswith("file name is not valid UTF-8")
        assert reasons["dangling.txt"].startswith("broken symlink")
        json.dumps(reasons, ensure_ascii=False).encode("utf-8")  # fit for the manifest
    finally:
        subprocess.run(["rm", "-rf", str(corpus)], check=True)  # shutil.rmtree recurses too


def test_max_document_mb_is_a_real_setting(tmp_path, encoder, monkeypatch):
    """The skip message for a large file told users to raise MAX_DOCUMENT_MB, which did not exist."""
    from conftest import settings_for

    from index.config import settings_from_env
    from index.storage.builder import rebuild

    monkeypatch.setenv("MAX_DOCUMENT_MB", "7")
    assert settings_from_env().max_document_mb == 7
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "small.txt").write_text("The small file is about the harbour.\n", encoding="utf-8")
    (corpus / "big.txt").write_text("The big file repeats itself. " * 80_000, encoding="utf-8")  # 2.3 MB
    settings = dataclasses.replace(settings_for(corpus, tmp_path / "index"), max_document_mb=2)
    summary = rebuild(settings, encoder=encoder)
    assert [(s.path, s.reason.split(" (")[0]) for s in summary.skipped] == [("big.txt", "larger than 2 MB")]
    assert "MAX_DOCUMENT_MB" in summary.skipped[0].reason and summary.documents == 1


def _small_corpus(folder):
    folder.mkdir()
    for topic in ("harbour", "orchard"):
        sentences = " ".join(f"In month {k} the {topic} keeper counted {k * 3} crates." for k in range(12))
        (folder / f"{topic}.md").write_text(f"# The {topic}\n\n{sentences}\n", encoding="utf-8")
    return folder


def test_write_error_mid_rebuild_names_the_index_and_keeps_the_old_one(tmp_path, encoder):
    """A failed write said only "[Errno 27] File too large" (FAISS's failures were tracebacks)."""
    import resource

    from conftest import settings_for

    from index.errors import IndexWriteError
    from index.storage.builder import rebuild
    from index.storage.loaded import open_index
    from index.storage.store import IndexFolder

    settings = settings_for(_small_corpus(tmp_path / "corpus"), tmp_path / "index")
    rebuild(settings, encoder=encoder)
    before = IndexFolder(settings.index_dir).current()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, hard))  # Python ignores SIGXFSZ: writes fail with EFBIG
    try:
        with pytest.raises(IndexWriteError) as failure:
            rebuild(settings, full=True, encoder=encoder)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    message = str(failure.value)
    assert str(settings.index_dir) in message and "still serving" in message and "File too large" in message
    assert IndexFolder(settings.index_dir).current() == before and open_index(settings).size > 0
    assert not list(settings.index_dir.glob("tmp-*"))


def test_full_disk_while_embedding_is_a_message_not_sigbus(tmp_path):
    """Vectors are written through a memory map; on a full disk the sparse map killed the rebuild
    with SIGBUS (exit -7, no message). Needs root to mount a small tmpfs; skipped otherwise."""
    import pytest

    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        corpus = _small_corpus(tmp_path / "corpus")
        env = dict(os.environ, CORPUS_DIR=str(corpus), INDEX_DIR=str(mount / "index"))

        def rebuild_child() -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "scripts/rebuild_index.py", "--quiet", "--full"], cwd=PROJECT_ROOT,
                                  env=env, capture_output=True, text=True, timeout=300)

        assert rebuild_child().returncode == 0
        stats = os.statvfs(mount)
        used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize  # room for a third of another index:
        subprocess.run(["mount", "-o", f"remount,size={int(used * 1.3) // 4096 * 4096}", str(mount)], check=True)
        failed = rebuild_child()
        assert failed.returncode == 1, failed.stderr
        assert "No space left on device" in failed.stderr and "still serving" in failed.stderr
        assert "Traceback" not in failed.stderr
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, encoder):
    """A small built index; tests damage copies of it."""
    from conftest import settings_for

    from index.storage.builder import rebuild

    root = tmp_path_factory.mktemp("pristine")
    settings = settings_for(_small_corpus(root / "corpus"), root / "index")
    rebuild(settings, encoder=encoder)
    return settings


def _damaged_copy(pristine, tmp_path):
    import shutil

    from index.storage.store import IndexFolder

    settings = dataclasses.replace(pristine, index_dir=tmp_path / "index")
    shutil.copytree(pristine.index_dir, settings.index_dir)
    return settings, IndexFolder(settings.index_dir).current()


def _edit_manifest(version, change):
    manifest = json.loads((version / "manifest.json").read_text())
    change(manifest)
    (version / "manifest.json").write_text(json.dumps(manifest))


def test_rebuild_heals_a_damaged_index_instead_of_calling_it_up_to_date(pristine, tmp_path, encoder):
    """The advised `rebuild_index.py` (and the CLI's automatic rebuild) said "up to date" and left a
    bit-flipped index broken; an incremental rebuild would also have copied its damaged vectors."""
    from index.errors import IndexCorrupt
    from index.storage.builder import rebuild
    from index.storage.loaded import open_index

    settings, version = _damaged_copy(pristine, tmp_path)
    path = version / "dense" / "sentences" / "vectors.faiss"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match="rebuild_index.py"):
        open_index(settings)
    summary = rebuild(settings, encoder=encoder)
    assert not summary.up_to_date and "unusable" in summary.note
    assert open_index(settings).size == open_index(pristine).size


@pytest.mark.parametrize("change", [
    lambda m: m.update(files=list(m["files"])),
    lambda m: m["files"].update({"units.npy": "0" * 64}),
    lambda m: m["documents"][0].update(units="15"),
])
def test_manifest_fields_of_the_wrong_type_are_refused_clearly(pristine, tmp_path, change):
    """A manifest whose files section was a list crashed the loader with AttributeError."""
    from index.errors import IndexCorrupt
    from index.storage.loaded import open_index

    settings, version = _damaged_copy(pristine, tmp_path)
    _edit_manifest(version, change)
    with pytest.raises(IndexCorrupt, match="rebuild_index.py"):
        open_index(settings)


def test_manifest_that_misplaces_vectors_or_a_forged_store_is_refused(pristine, tmp_path):
    """The manifest's per-document rows are not checksummed: swapped rows loaded silently (and a
    rebuild would have copied the wrong vectors); a FAISS file of another dimension with a matching
    checksum loaded and then crashed the first question."""
    import hashlib

    import faiss
    import numpy as np

    from index.errors import IndexCorrupt
    from index.storage.loaded import open_index

    settings, version = _damaged_copy(pristine, tmp_path)

    def swap(manifest):
        first, second = manifest["documents"]
        first["first_unit"], second["first_unit"] = second["first_unit"], first["first_unit"]

    _edit_manifest(version, swap)
    with pytest.raises(IndexCorrupt, match="disagrees with its unit table"):
        open_index(settings)
    _edit_manifest(version, swap)
    open_index(settings)  # swapped back: loads again
    path = version / "dense" / "windows" / "vectors.faiss"
    store = faiss.IndexFlatIP(768)
    store.add(np.ones((open_index(settings).size, 768), dtype=np.float32))
    faiss.write_index(store, str(path))
    data = path.read_bytes()
    _edit_manifest(version, lambda m: m["files"].update(
        {"dense/windows/vectors.faiss": {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}}))
    with pytest.raises(IndexCorrupt, match="disagree"):
        open_index(settings)


def test_damage_outside_the_files_is_reported_with_the_rebuild_command_and_repaired(pristine, tmp_path, encoder):
    """An escaping manifest path and a stale index were refused without saying how to fix them; a
    folder in place of CURRENT made every rebuild fail."""
    from index.engine import Engine
    from index.errors import IndexCorrupt, IndexStale
    from index.storage.builder import rebuild
    from index.storage.loaded import open_index

    settings, version = _damaged_copy(pristine, tmp_path)
    _edit_manifest(version, lambda m: m["files"].update({"../../../etc/passwd": {"size": 1, "sha256": "0"}}))
    with pytest.raises(IndexCorrupt, match="outside the index.*rebuild_index.py"):
        open_index(settings)
    (settings.index_dir / "CURRENT").unlink()
    (settings.index_dir / "CURRENT").mkdir()
    rebuild(settings, encoder=encoder)
    assert open_index(settings).size > 0
    harbour = settings.corpus_dir / "harbour.md"
    original = harbour.read_bytes()
    harbour.write_bytes(original + b"\nThe harbour master retired in May.\n")  # a touch alone is no change
    try:
        with pytest.raises(IndexStale, match="rebuild_index.py"):
            Engine.open(settings, auto_rebuild=False, encoder=encoder)
    finally:
        harbour.write_bytes(original)
        rebuild(pristine, encoder=encoder)  # the shared corpus changed: keep the pristine index current


def test_gateway_refusal_and_no_network_end_with_advice_not_a_traceback(engine, capsys):
    """A 4004 close after login, or no route to Discord, escaped `python -m bot` as a traceback."""
    import socket

    from discord.http import Route
    from fake_discord import CloseCode, FakeDiscord, discord_pointed_at

    from bot.discord.app import QuoteBot
    from bot.discord.config import DiscordSettings
    from bot.discord.main import run

    token = "secret-token-for-the-regression-test"
    with FakeDiscord(token=token) as fake, discord_pointed_at(fake):
        fake.close_next_identify(CloseCode.AUTHENTICATION_FAILED)
        assert run(QuoteBot(engine, DiscordSettings(token=token), guild_ready_timeout=0.05), token) == 1
        err = capsys.readouterr().err
        assert "code 4004" in err and "Reset Token" in err and token not in err and "Traceback" not in err
    with socket.socket() as closed:  # a port nobody listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        old_base, Route.BASE = Route.BASE, f"http://127.0.0.1:{closed.getsockname()[1]}/api/v10"
        try:
            assert run(QuoteBot(engine, DiscordSettings(token=token), guild_ready_timeout=0.05), token) == 1
        finally:
            Route.BASE = old_base
    err = capsys.readouterr().err
    assert "cannot reach Discord" in err and token not in err and "Traceback" not in err


def test_context_keeps_closing_quotes_after_a_full_stop():
    """Context was split at `.” ` with the closing quote inside the separator, so the reply dropped
    it: `failure.” (…)` rendered as `failure. (…)`, not the document's words."""
    from bot.discord.render import render_answer
    from index.answer import Answer, Quote

    focus = "“We must not relax sanctions,” he said."
    text = focus + " “This is a tried and true road to failure.” (……) [Notes.] Done."
    answer = Answer("q", True, [Quote("doc.md", 0, len(text), text, 0.9, 1, 1, (0, len(focus)))])
    full = render_answer(answer)
    assert "failure.” (……) \\[Notes.\\] Done." in full
    trimmed = render_answer(answer, limit=len(full) - 3)  # whole sentences dropped from the end
    assert "failure.” (……) \\[Notes.\\]\n" in trimmed


def test_bot_start_with_a_missing_corpus_or_model_ends_with_advice_not_a_traceback(tmp_path, monkeypatch, capsys):
    """`python -m bot` printed a traceback for a missing or empty corpus and a bad EMBED_MODEL."""
    from bot.discord.main import main

    monkeypatch.setenv("DISCORD_TOKEN", "secret-token-for-the-start-test")
    monkeypatch.setenv("INDEX_DIR", str(tmp_path / "index"))
    (tmp_path / "empty").mkdir()
    for setting, value, words in (
        ("CORPUS_DIR", str(tmp_path / "missing"), "does not exist"),
        ("CORPUS_DIR", str(tmp_path / "empty"), "No document"),
        ("EMBED_MODEL", str(tmp_path / "no-model"), "EMBED_MODEL"),
    ):
        with monkeypatch.context() as patch:
            patch.setenv(setting, value)
            assert main() == 1
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err and "secret-token" not in err, err
