"""Finding and reading documents: every usable file is found, every unusable one is reported by name
with a reason, and nothing raises for one bad file."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from index.documents.corpus import Document, DocumentFile, Skipped, list_documents, read_document
from index.errors import CorpusError


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def listed(root: Path, extensions: tuple[str, ...] = (".txt", ".md"), **options: bool) -> tuple[list[str], dict[str, str]]:
    found, skipped = list_documents(root, extensions, **options)
    return [d.path for d in found], {s.path: s.reason for s in skipped}


def read(root: Path, name: str, max_bytes: int | None = None) -> Document | Skipped:
    found, _ = list_documents(root)
    candidate = next(d for d in found if d.path == name)
    return read_document(candidate) if max_bytes is None else read_document(candidate, max_bytes=max_bytes)


def test_finds_documents_recursively_sorted_with_posix_paths(tmp_path):
    for name in ["b.txt", "a.md", "deep/er/still/c.TXT", "deep/d.md", "z/notes.Md"]:
        write(tmp_path / name, "Some words.")
    paths, skipped = listed(tmp_path)
    assert paths == ["a.md", "b.txt", "deep/d.md", "deep/er/still/c.TXT", "z/notes.Md"]
    assert skipped == {}


def test_only_the_configured_extensions_are_candidates(tmp_path):
    for name in ["a.txt", "b.md", "c.pdf", "d.rst", "e.txt.bak", "README", "f.markdown"]:
        write(tmp_path / name, "Some words.")
    assert listed(tmp_path)[0] == ["a.txt", "b.md"]
    assert listed(tmp_path, (".rst", ".markdown"))[0] == ["d.rst", "f.markdown"]


def test_hidden_files_and_folders_are_left_out_and_reported_unless_asked_for(tmp_path):
    write(tmp_path / "seen.txt", "Visible.")
    write(tmp_path / ".env.txt", "DISCORD_TOKEN=secret")
    write(tmp_path / ".git" / "notes.txt", "Inside a hidden folder.")
    write(tmp_path / "sub" / ".cache" / "x.md", "Inside a nested hidden folder.")
    write(tmp_path / "sub" / "shown.md", "Visible too.")
    paths, skipped = listed(tmp_path)
    assert paths == ["seen.txt", "sub/shown.md"]
    assert set(skipped) == {".env.txt", ".git/", "sub/.cache/"}
    assert all("INCLUDE_HIDDEN=true" in reason for reason in skipped.values())
    assert listed(tmp_path, include_hidden=True) == (
        [".env.txt", ".git/notes.txt", "seen.txt", "sub/.cache/x.md", "sub/shown.md"], {}
    )


def test_a_missing_or_non_folder_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist.*CORPUS_DIR"):
        list_documents(tmp_path / "nowhere")
    file = write(tmp_path / "file.txt", "text")
    with pytest.raises(CorpusError, match="not a folder.*CORPUS_DIR"):
        list_documents(file)


def test_a_good_document_keeps_its_exact_text_and_hash(tmp_path):
    data = "Line one.\r\nCafé “quoted” 東京.\n".encode("utf-8")
    write(tmp_path / "doc.txt", data)
    document = read(tmp_path, "doc.txt")
    assert isinstance(document, Document)
    assert document.text == data.decode("utf-8")  # CRLF kept: offsets are offsets into the file
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.size == len(data)
    assert document.mtime_ns == (tmp_path / "doc.txt").stat().st_mtime_ns


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("caf\xe9 cr\xe8me br\xfbl\xe9e".encode("latin-1"), r"not valid UTF-8 \(bad byte at offset 3\); convert it to UTF-8"),
        (b"PK\x03\x04\x00\x00binary", r"binary file \(contains NUL bytes\)"),
        (b"", r"empty file"),
        (b" \n\t\r\n  ", r"empty file"),
        ("Ends with half a character: \u00e9".encode("utf-8")[:-1], r"not valid UTF-8 \(bad byte at offset 28\); convert it to UTF-8"),
    ],
    ids=["latin-1", "binary", "empty", "whitespace-only", "truncated-utf8"],
)
def test_unusable_documents_are_skipped_by_name_with_a_reason(tmp_path, data, reason):
    write(tmp_path / "sub" / "bad.txt", data)
    result = read(tmp_path, "sub/bad.txt")
    assert isinstance(result, Skipped)
    assert result.path == "sub/bad.txt"
    assert re.fullmatch(reason, result.reason), result.reason


def test_utf8_with_a_byte_order_mark_is_read(tmp_path):
    write(tmp_path / "bom.txt", b"\xef\xbb\xbfHello there.")
    document = read(tmp_path, "bom.txt")
    assert isinstance(document, Document) and document.text.endswith("Hello there.")


def test_oversized_documents_are_skipped_with_the_setting_to_raise(tmp_path):
    mb = 1024 * 1024
    write(tmp_path / "big.txt", b"word " * (3 * mb // 5 + 1))
    result = read(tmp_path, "big.txt", max_bytes=2 * mb)
    assert isinstance(result, Skipped) and result.path == "big.txt"
    assert "larger than 2 MB" in result.reason and "MAX_DOCUMENT_MB" in result.reason
    assert isinstance(read(tmp_path, "big.txt", max_bytes=4 * mb), Document)


def test_a_file_that_grows_past_the_limit_after_listing_is_skipped(tmp_path):
    path = write(tmp_path / "growing.txt", b"small ")
    found, _ = list_documents(tmp_path)
    with open(path, "ab") as handle:
        handle.write(b"x" * (1024 * 1024 + 10))
    result = read_document(found[0], max_bytes=1024 * 1024)
    assert isinstance(result, Skipped) and "grew past 1 MB" in result.reason


def test_a_file_that_vanishes_after_listing_is_skipped(tmp_path):
    path = write(tmp_path / "gone.md", "Soon deleted.")
    found, _ = list_documents(tmp_path)
    path.unlink()
    result = read_document(found[0])
    assert result == Skipped("gone.md", "disappeared while being read")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_skipped(tmp_path):
    path = write(tmp_path / "secret.txt", "Private.")
    path.chmod(0)
    try:
        assert read(tmp_path, "secret.txt") == Skipped("secret.txt", "permission denied")
    finally:
        path.chmod(0o644)


def test_a_symlink_loop_ends_and_is_reported(tmp_path):
    write(tmp_path / "a" / "doc.txt", "In folder a.")
    (tmp_path / "a" / "back").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "a" / "self").symlink_to(tmp_path / "a", target_is_directory=True)
    paths, skipped = listed(tmp_path, follow_links=True)
    assert paths == ["a/doc.txt"]
    assert skipped, "the loop is reported"
    assert all("symlink loop" in reason for reason in skipped.values())
    assert set(skipped) <= {"a/back", "a/self"}


def test_links_that_leave_the_corpus_are_never_followed_and_inside_ones_only_when_asked(tmp_path):
    outside = tmp_path / "outside"
    write(outside / "shared.md", "Shared notes.")
    write(tmp_path / ".env", "DISCORD_TOKEN=secret")
    corpus = tmp_path / "corpus"
    write(corpus / "own.txt", "Own notes.")
    write(corpus / "inner" / "deep.md", "Deep notes.")
    (corpus / "linked").symlink_to(outside, target_is_directory=True)
    (corpus / "notes.txt").symlink_to(tmp_path / ".env")
    (corpus / "etc").symlink_to("/etc", target_is_directory=True)
    (corpus / "alias.txt").symlink_to(corpus / "own.txt")
    (corpus / "shortcut").symlink_to(corpus / "inner", target_is_directory=True)
    for follow in (False, True):
        paths, skipped = listed(corpus, follow_links=follow)
        for name in ("linked", "notes.txt", "etc"):
            assert "outside the corpus folder: never followed" in skipped[name], (follow, skipped)
        assert not any(p.startswith(("linked/", "etc/")) or p == "notes.txt" for p in paths)
    paths, skipped = listed(corpus)
    assert paths == ["inner/deep.md", "own.txt"]
    assert "FOLLOW_LINKS=true" in skipped["alias.txt"] and "FOLLOW_LINKS=true" in skipped["shortcut"]
    paths, skipped = listed(corpus, follow_links=True)
    assert paths == ["alias.txt", "inner/deep.md", "own.txt"]
    assert "already indexed" in skipped["shortcut"]  # the folder it points to is read once


def test_a_file_swapped_for_a_link_after_listing_is_not_read_through_it(tmp_path):
    write(tmp_path / "secret.txt", "DISCORD_TOKEN=secret")
    corpus = tmp_path / "corpus"
    write(corpus / "doc.txt", "Ordinary words.")
    [candidate], _ = list_documents(corpus)
    (corpus / "doc.txt").unlink()
    (corpus / "doc.txt").symlink_to(tmp_path / "secret.txt")
    result = read_document(candidate)
    assert isinstance(result, Skipped) and "symlink" in result.reason


def test_a_dangling_symlink_is_reported(tmp_path):
    write(tmp_path / "ok.txt", "Fine.")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    paths, skipped = listed(tmp_path)
    assert paths == ["ok.txt"]
    assert skipped == {"dangling.txt": "broken symlink (its target is missing)"}


def test_a_fifo_with_a_document_name_is_not_read(tmp_path):
    write(tmp_path / "ok.txt", "Fine.")
    os.mkfifo(tmp_path / "pipe.txt")
    assert listed(tmp_path) == (["ok.txt"], {"pipe.txt": "not a regular file"})


def test_permission_errors_are_reported_by_name(tmp_path, monkeypatch):
    """The same as the two tests above, for a run as root (which reads anything): the OS errors are
    raised where the real ones would be."""
    write(tmp_path / "ok.txt", "Fine.")
    write(tmp_path / "secret.txt", "Private.")
    write(tmp_path / "locked" / "inside.txt", "Cannot be listed.")
    real_scandir, real_open = os.scandir, os.open

    def scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    def fake_open(path, *args, **kwargs):
        if Path(path).name == "secret.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "open", fake_open)
    paths, skipped = listed(tmp_path)
    assert paths == ["ok.txt", "secret.txt"]
    assert skipped == {"locked": "permission denied"}
    assert read(tmp_path, "secret.txt") == Skipped("secret.txt", "permission denied")


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists any folder")
def test_an_unlistable_folder_is_reported_and_the_rest_found(tmp_path):
    write(tmp_path / "ok.txt", "Fine.")
    locked = tmp_path / "locked"
    write(locked / "inside.txt", "Cannot be listed.")
    locked.chmod(0)
    try:
        paths, skipped = listed(tmp_path)
    finally:
        locked.chmod(0o755)
    assert paths == ["ok.txt"]
    assert skipped == {"locked": "permission denied"}


def test_candidates_record_size_and_modification_time(tmp_path):
    path = write(tmp_path / "doc.txt", "Twelve bytes")
    os.utime(path, ns=(1_000_000_000, 2_000_000_000))
    (candidate,), _ = list_documents(tmp_path)
    assert candidate == DocumentFile("doc.txt", path, 12, 2_000_000_000)


def test_a_huge_size_limit_costs_no_memory_up_front(tmp_path):
    """MAX_DOCUMENT_MB=100000 once made the reader allocate 100 GB for a 12-byte file (MemoryError)."""
    import tracemalloc

    write(tmp_path / "a.txt", "Hello there.")
    [candidate], _ = list_documents(tmp_path)
    tracemalloc.start()
    try:
        document = read_document(candidate, max_bytes=100_000 * 1024 * 1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(document, Document) and document.text == "Hello there."
    assert peak < 10 * 1024 * 1024
