"""Finding and reading the documents of a corpus folder.

Any folder of documents, searched recursively: text files (`.txt`, `.md`, `.markdown`, `.rst`) are
indexed as they are; PDF, HTML and Word `.docx` files are converted to text first (`index/documents/formats`),
and quotes are cut from that extracted text. A file that cannot be used (not UTF-8, binary, empty, too
large, unreadable, vanished, an encrypted or image-only PDF, a type that is not read) is reported by
name with the reason and skipped; the rest are indexed. Nothing here raises for one bad file.
"""

from __future__ import annotations

import errno
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from index.documents.formats import CONVERTED_SUFFIXES, ExtractionError, Mark, extract
from index.errors import CorpusError  # noqa: F401 - raised here, part of the API

if TYPE_CHECKING:
    from index.config import Settings

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
"""Larger files are skipped: embedding one would take hours on a laptop CPU. The `MAX_DOCUMENT_MB`
setting changes it (the rebuild passes it in)."""


@dataclass(frozen=True)
class DocumentFile:
    """A candidate document: where it is and its size and modification time, before reading it."""

    path: str
    """Path relative to the corpus root, with forward slashes: the name quotes cite."""
    absolute: Path
    size: int
    mtime_ns: int
    via_link: bool = False
    """Reached through a symlink inside the corpus (`FOLLOW_LINKS`); otherwise it is read without
    following links, so a file swapped for a link after listing is not read through it."""


@dataclass(frozen=True)
class Document:
    """A document's text: exactly the file decoded from UTF-8 (offsets into it are offsets into the
    file), or for a converted file the text extracted from it, with where each page or section starts."""

    path: str
    text: str
    sha256: str
    size: int
    mtime_ns: int
    kind: str = "text"
    """"text", or the converted type: "pdf", "html", "docx"."""
    marks: tuple[Mark, ...] = ()
    """Converted files: where each page (PDF) or section (HTML, .docx heading) starts in `text`."""


@dataclass(frozen=True)
class Skipped:
    """A file left out of the index and why, for the rebuild summary."""

    path: str
    reason: str


def list_documents(
    corpus_dir: Path, extensions: tuple[str, ...] = (".txt", ".md"), *, follow_links: bool = False,
    include_hidden: bool = False,
) -> tuple[list[DocumentFile], list[Skipped]]:
    """Every candidate document under `corpus_dir`, sorted by path, and what was left out and why
    (see `_walk` for links and hidden files)."""
    if not corpus_dir.exists():
        raise CorpusError(f"The corpus folder {corpus_dir} does not exist: create it or set CORPUS_DIR / --corpus.")
    if not corpus_dir.is_dir():
        raise CorpusError(f"The corpus path {corpus_dir} is not a folder: set CORPUS_DIR / --corpus to a folder.")
    found: list[DocumentFile] = []
    skipped: list[Skipped] = []
    for absolute, via_link in _walk(corpus_dir, skipped, follow_links, include_hidden):
        rel = absolute.relative_to(corpus_dir).as_posix()
        if absolute.suffix.lower() not in extensions:
            skipped.append(Skipped(rel, _unread_type(absolute.suffix, extensions)))
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
        found.append(DocumentFile(rel, absolute, stat.st_size, stat.st_mtime_ns, via_link))
    found.sort(key=lambda d: d.path)
    return found, skipped


def list_corpus(settings: Settings) -> tuple[list[DocumentFile], list[Skipped]]:
    """`list_documents` as the settings say (folder, extensions, links, hidden files)."""
    return list_documents(
        settings.corpus_dir, settings.extensions, follow_links=settings.follow_links,
        include_hidden=settings.include_hidden,
    )


def _unread_type(suffix: str, extensions: tuple[str, ...]) -> str:
    """Why a file of a type that is not read is left out (reported, never silently dropped)."""
    what = f"{suffix.lower()} files are" if suffix else "files without an extension are"
    return f"{what} not read (read: {' '.join(extensions)})"


def _undecodable(name: str) -> bool:
    """A name with bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    return any("\udc80" <= char <= "\udcff" for char in name)


def printable(name: str) -> str:
    """A file name fit for messages and JSON: undecodable bytes shown as U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _is_regular(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)


HIDDEN_REASON = "hidden (its name starts with '.'); set INCLUDE_HIDDEN=true to index hidden files"
OUTSIDE_REASON = "symlink to {target}, outside the corpus folder: never followed"
LINK_REASON = "symlink; set FOLLOW_LINKS=true to follow links that stay inside the corpus folder"


def _walk(root: Path, skipped: list[Skipped], follow_links: bool, include_hidden: bool) -> Iterator[tuple[Path, bool]]:
    """Files under `root` at any depth (an explicit stack: no recursion limit), each with whether it
    was reached through a symlink. A link that leaves the corpus folder is never followed, a link
    inside it only with `follow_links`, and hidden entries (`.env`, `.git/`) only with
    `include_hidden`: each one left out is reported by name and reason. Folders reached twice
    (a link loop) are read once; unreadable folders are reported."""
    real_root = root.resolve()
    seen: set[tuple[int, int]] = set()
    pending: list[tuple[Path, bool]] = [(root, False)]
    while pending:
        folder, linked = pending.pop()
        where = printable(folder.relative_to(root).as_posix())
        try:
            stat = os.stat(folder)
            if (stat.st_dev, stat.st_ino) in seen:
                skipped.append(Skipped(where, "folder already indexed through another path (symlink loop)"))
                continue
            seen.add((stat.st_dev, stat.st_ino))
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            skipped.append(Skipped(where, _os_reason(exc)))
            continue
        folders = []
        for entry in entries:
            path = folder / entry.name
            rel = printable(path.relative_to(root).as_posix())
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError as exc:
                skipped.append(Skipped(rel, _os_reason(exc)))
                continue
            if entry.name.startswith(".") and not include_hidden:
                skipped.append(Skipped(rel + ("/" if is_dir else ""), HIDDEN_REASON))
                continue
            if is_link:
                try:
                    target = path.resolve(strict=True)
                except RuntimeError:
                    skipped.append(Skipped(rel, "symlink loop (the link leads back to itself)"))
                    continue
                except OSError as exc:
                    loop = exc.errno == errno.ELOOP
                    skipped.append(Skipped(rel, "symlink loop (the link leads back to itself)" if loop
                                           else "broken symlink (its target is missing)"))
                    continue
                if not target.is_relative_to(real_root):
                    skipped.append(Skipped(rel, OUTSIDE_REASON.format(target=printable(str(target)))))
                    continue
                if not follow_links:
                    skipped.append(Skipped(rel, LINK_REASON))
                    continue
                is_dir = target.is_dir()
            if is_dir:
                folders.append((path, linked or is_link))
            else:
                yield path, linked or is_link
        pending.extend(reversed(folders))


def read_document(candidate: DocumentFile, max_bytes: int = MAX_DOCUMENT_BYTES) -> Document | Skipped:
    """Read and decode one file, or say why it cannot be indexed."""
    if candidate.size > max_bytes:
        return Skipped(
            candidate.path,
            f"larger than {max_bytes // (1024 * 1024)} MB ({candidate.size // (1024 * 1024)} MB); raise MAX_DOCUMENT_MB to index it",
        )
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if candidate.via_link else os.O_NOFOLLOW)
    try:
        descriptor = os.open(candidate.absolute, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Skipped(candidate.path, "became a symlink after the folder was listed; not followed")
        return Skipped(candidate.path, _os_reason(exc))
    try:
        if not _is_regular(os.fstat(descriptor).st_mode):  # a FIFO or device put there since listing
            return Skipped(candidate.path, "not a regular file")
        with os.fdopen(descriptor, "rb") as handle:
            descriptor = -1
            data = _read_at_most(handle, max_bytes + 1)
    except OSError as exc:
        return Skipped(candidate.path, _os_reason(exc))
    finally:
        if descriptor >= 0:
            os.close(descriptor)
    if len(data) > max_bytes:
        return Skipped(candidate.path, f"grew past {max_bytes // (1024 * 1024)} MB while being read")
    kind = CONVERTED_SUFFIXES.get(Path(candidate.path).suffix.lower())
    if kind is not None:
        return _converted(candidate, data, kind)
    if b"\x00" in data:
        return Skipped(candidate.path, "binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Skipped(candidate.path, f"not valid UTF-8 (bad byte at offset {exc.start}); convert it to UTF-8")
    if not text.strip():
        return Skipped(candidate.path, "empty file")
    return Document(candidate.path, text, hashlib.sha256(data).hexdigest(), len(data), candidate.mtime_ns)


def _converted(candidate: DocumentFile, data: bytes, kind: str) -> Document | Skipped:
    """A PDF, HTML or .docx file as the text extracted from it, or why it cannot be read."""
    try:
        extracted = extract(candidate.path, data)
    except ExtractionError as exc:
        return Skipped(candidate.path, str(exc))
    if not extracted.text.strip():
        return Skipped(candidate.path, f"no text in this {kind} file")
    return Document(candidate.path, extracted.text, hashlib.sha256(data).hexdigest(), len(data), candidate.mtime_ns,
                    kind, extracted.marks)


READ_CHUNK = 1 << 20


def _read_at_most(handle, limit: int) -> bytes:  # noqa: ANN001 - a binary file object
    """Up to `limit` bytes, read a megabyte at a time: a huge limit (`MAX_DOCUMENT_MB`) costs no
    memory up front."""
    chunks, total = [], 0
    while total < limit:
        chunk = handle.read(min(READ_CHUNK, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _os_reason(exc: OSError) -> str:
    reasons = {
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOENT: "disappeared while being read",
        errno.ELOOP: "symlink loop",
        errno.EISDIR: "is a folder",
    }
    return reasons.get(exc.errno or 0, f"could not be read ({exc.strerror or exc})")
