"""Finding and reading the documents of a corpus folder.

Any folder of `.txt` and `.md` files, searched recursively. A file that cannot be used (not UTF-8,
binary, empty, too large, unreadable, vanished) is reported by name with the reason and skipped; the rest
are indexed. Nothing here raises for one bad file.
"""

from __future__ import annotations

import errno
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
"""Larger files are skipped: embedding one would take hours on a laptop CPU. The `MAX_DOCUMENT_MB`
setting changes it (the rebuild passes it in)."""


class CorpusError(RuntimeError):
    """The corpus folder itself is unusable (missing, not a folder, or without any usable document)."""


@dataclass(frozen=True)
class DocumentFile:
    """A candidate document: where it is and its size and modification time, before reading it."""

    path: str
    """Path relative to the corpus root, with forward slashes: the name quotes cite."""
    absolute: Path
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Document:
    """A document's text exactly as decoded from UTF-8, so offsets into it are offsets into the file."""

    path: str
    text: str
    sha256: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Skipped:
    """A file left out of the index and why, for the rebuild summary."""

    path: str
    reason: str


def list_documents(
    corpus_dir: Path, extensions: tuple[str, ...] = (".txt", ".md")
) -> tuple[list[DocumentFile], list[Skipped]]:
    """Every candidate document under `corpus_dir`, sorted by path, and files that could not be listed."""
    if not corpus_dir.exists():
        raise CorpusError(f"The corpus folder {corpus_dir} does not exist: create it or set CORPUS_DIR / --corpus.")
    if not corpus_dir.is_dir():
        raise CorpusError(f"The corpus path {corpus_dir} is not a folder: set CORPUS_DIR / --corpus to a folder.")
    found: list[DocumentFile] = []
    skipped: list[Skipped] = []
    for absolute in _walk(corpus_dir, skipped):
        rel = absolute.relative_to(corpus_dir).as_posix()
        if absolute.suffix.lower() not in extensions:
            continue
        if _undecodable(rel):
            skipped.append(Skipped(printable(rel), "file name is not valid UTF-8; rename the file"))
            continue
        try:
            stat = absolute.stat()
        except OSError as exc:
            broken = exc.errno == errno.ENOENT and absolute.is_symlink()
            skipped.append(Skipped(rel, "broken symlink (its target is missing)" if broken else _os_reason(exc)))
            continue
        if not _is_regular(stat.st_mode):
            skipped.append(Skipped(rel, "not a regular file"))
            continue
        found.append(DocumentFile(rel, absolute, stat.st_size, stat.st_mtime_ns))
    found.sort(key=lambda d: d.path)
    return found, skipped


def _undecodable(name: str) -> bool:
    """A name with bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    return any("\udc80" <= char <= "\udcff" for char in name)


def printable(name: str) -> str:
    """A file name fit for messages and JSON: undecodable bytes shown as U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _is_regular(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)


def _walk(root: Path, skipped: list[Skipped]) -> Iterator[Path]:
    """Files under `root`, at any depth (an explicit stack: no recursion limit); symlinked folders
    are followed once each, so a symlink loop ends; unreadable folders are reported."""
    seen: set[tuple[int, int]] = set()
    pending = [root]
    while pending:
        folder = pending.pop()
        where = printable(folder.relative_to(root).as_posix())
        try:
            stat = os.stat(folder)
            if (stat.st_dev, stat.st_ino) in seen:
                skipped.append(Skipped(where, "folder already indexed through another path (symlink loop)"))
                continue
            seen.add((stat.st_dev, stat.st_ino))
            with os.scandir(folder) as entries:
                names = sorted(entry.name for entry in entries if not entry.name.startswith("."))
        except OSError as exc:
            skipped.append(Skipped(where, _os_reason(exc)))
            continue
        folders = []
        for name in names:
            path = folder / name
            if path.is_dir():  # follows symlinks; False for a looping or dangling link
                folders.append(path)
            else:
                yield path
        pending.extend(reversed(folders))


def read_document(candidate: DocumentFile, max_bytes: int = MAX_DOCUMENT_BYTES) -> Document | Skipped:
    """Read and decode one file, or say why it cannot be indexed."""
    if candidate.size > max_bytes:
        return Skipped(
            candidate.path,
            f"larger than {max_bytes // (1024 * 1024)} MB ({candidate.size // (1024 * 1024)} MB); raise MAX_DOCUMENT_MB to index it",
        )
    try:
        with open(candidate.absolute, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return Skipped(candidate.path, _os_reason(exc))
    if len(data) > max_bytes:
        return Skipped(candidate.path, f"grew past {max_bytes // (1024 * 1024)} MB while being read")
    if b"\x00" in data:
        return Skipped(candidate.path, "binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Skipped(candidate.path, f"not valid UTF-8 (bad byte at offset {exc.start}); convert it to UTF-8")
    if not text.strip():
        return Skipped(candidate.path, "empty file")
    return Document(candidate.path, text, hashlib.sha256(data).hexdigest(), len(data), candidate.mtime_ns)


def _os_reason(exc: OSError) -> str:
    reasons = {
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOENT: "disappeared while being read",
        errno.ELOOP: "symlink loop",
        errno.EISDIR: "is a folder",
    }
    return reasons.get(exc.errno or 0, f"could not be read ({exc.strerror or exc})")
