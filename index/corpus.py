"""Finding and reading the documents of a corpus folder.

Any folder of `.txt` and `.md` files, searched recursively. A file that cannot be used (not UTF-8,
binary, empty, too large, unreadable, vanished) is reported by name with the reason and skipped; the rest
are indexed. Nothing here raises for one bad file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
"""Larger files are skipped: embedding one would take hours on a laptop CPU. `MAX_DOCUMENT_MB` changes it."""


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
        try:
            stat = absolute.stat()
        except OSError as exc:
            broken_link = isinstance(exc, FileNotFoundError) and absolute.is_symlink()
            skipped.append(Skipped(rel, "broken symlink (its target is missing)" if broken_link else _os_reason(exc)))
            continue
        if not _is_regular(stat.st_mode):
            skipped.append(Skipped(rel, "not a regular file"))
            continue
        found.append(DocumentFile(rel, absolute, stat.st_size, stat.st_mtime_ns))
    found.sort(key=lambda d: d.path)
    return found, skipped


def _is_regular(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)


def _walk(root: Path, skipped: list[Skipped]) -> Iterator[Path]:
    """Files under `root`; symlinked folders are followed once each, so a symlink loop ends."""
    seen: set[tuple[int, int]] = set()

    def on_error(exc: OSError) -> None:
        where = Path(exc.filename).relative_to(root).as_posix() if exc.filename else str(root)
        skipped.append(Skipped(where or ".", _os_reason(exc)))

    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=on_error):
        try:
            stat = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        key = (stat.st_dev, stat.st_ino)
        if key in seen:
            rel = Path(dirpath).relative_to(root).as_posix()
            skipped.append(Skipped(rel, "folder already indexed through another path (symlink loop)"))
            dirnames[:] = []
            continue
        seen.add(key)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


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
    import errno

    reasons = {
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOENT: "disappeared while being read",
        errno.ELOOP: "symlink loop",
        errno.EISDIR: "is a folder",
    }
    return reasons.get(exc.errno or 0, f"could not be read ({exc.strerror or exc})")
