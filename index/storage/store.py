"""The index on disk: versioned folders, a manifest, and a `CURRENT` pointer swapped atomically.

Layout of `INDEX_DIR`::

    .quotebot-index    marks the folder as an index folder (written when it is created or found empty)
    CURRENT            name of the version folder being served (replaced with os.replace)
    .lock              held by a rebuild, so two never run at once
    v-<time>-<id>/     one complete index: manifest.json, units.npy, cues.npy, text.bin, acronyms.json, words.json,
                       dense/<level>/ (vectors: FAISS vectors.faiss, or ann.faiss + the exact
                       vectors.npy; Qdrant local mode: vectors.npy), lexical/<level>/ (BM25)
    tmp-<id>/          a rebuild in progress, or an old version being deleted (removed by the next rebuild
                       if it was killed)

A reader follows `CURRENT` to a complete folder; a rebuild writes a new folder and only then moves
`CURRENT`, so a crash at any moment leaves the previous index intact. A reader holds a shared lock on
the manifest of the version it serves for as long as it serves it, and a rebuild prunes only versions
whose manifest it can lock exclusively: a running bot never loses the version under it. Every file's SHA-256 is in the
manifest and checked on load; nothing in the format is a pickle, so loading runs no code.
"""

from __future__ import annotations

import fcntl
import json
import mmap
import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from index.documents.units import UNIT_DTYPE  # noqa: F401 - the unit table's rows, stored here
from index.errors import (  # noqa: F401 - raised here, part of the API
    IndexCorrupt,
    IndexFolderRefused,
    IndexIncompatible,
    IndexMissing,
    IndexProblem,
    IndexReadOnly,
    IndexStale,
    RebuildBusy,
)
from index.storage.fsutil import fsync_dir, sha256_file, write_atomic

FORMAT_VERSION = 2
"""2: words.json (the documents' words, for spelling) added."""
MANIFEST_FILE = "manifest.json"
UNITS_FILE = "units.npy"
TEXT_FILE = "text.bin"
CUES_FILE = "cues.npy"
ACRONYMS_FILE = "acronyms.json"
WORDS_FILE = "words.json"
LEXICAL_DIR = "lexical"
DENSE_DIR = "dense"
CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"
MARKER_FILE = ".quotebot-index"
"""Written when the engine makes a folder its index folder: only a marked folder is ever pruned."""
VERSION_NAME = re.compile(r"v-\d{8}T\d{6}-[0-9a-f]{8}")
TEMP_NAME = re.compile(r"tmp-[0-9a-f]{12}")
"""The only names a rebuild deletes: exactly the ones it creates (a user's `tmp-drafts/` or `v-1.0/` never match)."""
KEEP_VERSIONS = 2
"""The served version and the one before it, which a running bot may still be reading."""

REBUILD_HINT = "run `quotebot rebuild` (in a checkout: `python scripts/rebuild_index.py`; add --full to start from scratch)"


@dataclass
class DocumentEntry:
    """What the manifest records per document: enough to detect changes and to reuse its vectors."""

    path: str
    sha256: str
    size: int
    mtime_ns: int
    chars: int
    byte_start: int
    byte_end: int
    first_unit: int
    units: int
    first_paragraph: int
    paragraphs: int
    indexed_at: str
    kind: str = "text"
    """"text", or the type the text was extracted from: "pdf", "html", "docx"."""
    marks: list[list[Any]] = field(default_factory=list)
    """Converted files: [offset in the extracted text, page or section label], in order."""


@dataclass
class Manifest:
    model: dict[str, Any]
    chunker: dict[str, Any]
    store: dict[str, Any]
    documents: list[DocumentEntry]
    skipped: list[dict[str, str]] = field(default_factory=list)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: str = ""
    format_version: int = FORMAT_VERSION

    @property
    def unit_count(self) -> int:
        return sum(d.units for d in self.documents)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes, where: Path) -> "Manifest":
        try:
            raw = json.loads(data.decode("utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("not a JSON object")
            version = raw.get("format_version")
            if version != FORMAT_VERSION:
                raise IndexIncompatible(
                    f"The index at {where} has format version {version}; this program reads version "
                    f"{FORMAT_VERSION}: {REBUILD_HINT}."
                )
            raw["documents"] = [DocumentEntry(**d) for d in raw["documents"]]
            manifest = cls(**raw)
            _check_types(manifest)
            return manifest
        except IndexProblem:
            raise
        except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
            raise IndexCorrupt(f"The index manifest {where} is unreadable ({exc}): {REBUILD_HINT}.") from exc


def _check_types(manifest: Manifest) -> None:
    """Raise TypeError for fields of the wrong type (an edited manifest must not crash the loader)."""
    numbers = ("size", "mtime_ns", "chars", "byte_start", "byte_end", "first_unit", "units", "first_paragraph", "paragraphs")
    for doc in manifest.documents:
        if not isinstance(doc.path, str) or not all(type(getattr(doc, n)) is int for n in numbers):
            raise TypeError(f"document entry {doc.path!r} has fields of the wrong type")
        if not isinstance(doc.kind, str) or not isinstance(doc.marks, list) or not all(
            isinstance(m, list) and len(m) == 2 and type(m[0]) is int and isinstance(m[1], str) for m in doc.marks
        ):
            raise TypeError(f"document entry {doc.path!r} has a wrong kind or location marks")
    if not isinstance(manifest.files, dict) or not all(
        isinstance(rel, str) and isinstance(entry, dict) and type(entry.get("size")) is int and isinstance(entry.get("sha256"), str)
        for rel, entry in manifest.files.items()
    ):
        raise TypeError("the files section is not a table of sizes and checksums")
    if not isinstance(manifest.model, dict) or not isinstance(manifest.chunker, dict) or not isinstance(manifest.skipped, list):
        raise TypeError("the model, chunker or skipped section has the wrong type")


class IndexFolder:
    """The `INDEX_DIR` folder: which version is current, locking, and publishing a new version.

    The engine writes and deletes in a folder only once it is marked as an index folder (`MARKER_FILE`,
    written when the folder is empty or new), and then deletes only names it creates itself."""

    def __init__(self, root: Path, corpus: Path | None = None) -> None:
        self.root = root
        self.corpus = corpus

    def claim(self) -> None:
        """Make sure the folder may hold the index: refuse one that is, holds or lies inside the corpus,
        or that holds files and is not marked (an index of an earlier version, with `CURRENT` naming a
        version folder, is marked and kept); create and mark a new or empty one."""
        root = self.root.resolve()
        if self.corpus is not None:
            corpus = self.corpus.resolve()
            if root == corpus or corpus.is_relative_to(root) or root.is_relative_to(corpus):
                raise IndexFolderRefused(
                    f"INDEX_DIR {self.root} {'is' if root == corpus else 'holds' if corpus.is_relative_to(root) else 'lies inside'} "
                    f"the corpus folder {self.corpus}: set INDEX_DIR (or --index) to a folder of its own, outside the corpus."
                )
        if (root / MARKER_FILE).is_file():
            return
        if root.exists() and not root.is_dir():
            raise IndexFolderRefused(f"INDEX_DIR {self.root} is not a folder: set INDEX_DIR (or --index) to a folder.")
        entries = sorted(p.name for p in root.iterdir()) if root.exists() else []
        if entries and not self._earlier_index(root, entries):
            shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
            raise IndexFolderRefused(
                f"INDEX_DIR {self.root} holds files that are not an index ({shown}); the index never writes "
                "into a folder it did not create: set INDEX_DIR (or --index) to an empty or new folder."
            )
        root.mkdir(parents=True, exist_ok=True)
        write_atomic(root / MARKER_FILE, b'{"quotebot": "index folder"}\n')

    @staticmethod
    def _earlier_index(root: Path, entries: list[str]) -> bool:
        """An index written before folders were marked: every entry is a name the index creates and
        `CURRENT` names a version folder holding a manifest."""
        if not all(VERSION_NAME.fullmatch(e) or TEMP_NAME.fullmatch(e) or e in (CURRENT_FILE, LOCK_FILE) for e in entries):
            return False
        try:
            name = (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return False
        return bool(VERSION_NAME.fullmatch(name)) and (root / name / MANIFEST_FILE).is_file()

    def current(self) -> Path | None:
        """The folder `CURRENT` points at, or None when no index was ever published."""
        try:
            name = (self.root / CURRENT_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexCorrupt(f"{self.root / CURRENT_FILE} is unreadable ({exc}): {REBUILD_HINT}.") from exc
        if not name.startswith("v-") or "/" in name or name != Path(name).name:
            raise IndexCorrupt(f"{self.root / CURRENT_FILE} names {name!r}, not an index version: {REBUILD_HINT}.")
        return self.root / name

    def current_stamp(self) -> tuple[int, int] | None:
        """Inode and modification time of `CURRENT`: a cheap way for a long-running reader to notice,
        between questions, that a rebuild published a new version (the pointer is replaced, not edited)."""
        try:
            stat = os.stat(self.root / CURRENT_FILE)
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def read_current(self) -> tuple[Path, "VersionReader"] | None:
        """The served version with a shared lock on it, which keeps any rebuild from pruning it until
        the `VersionReader` is closed; None when no index was ever published. A version pruned between
        reading `CURRENT` and locking it is never returned: `CURRENT` is read again."""
        for _ in range(20):
            directory = self.current()
            if directory is None:
                return None
            reader = VersionReader.open(directory)
            if reader is not None:
                return directory, reader
            if self.current() == directory:  # not pruned: the version folder itself is missing or damaged
                missing = "is missing" if not directory.is_dir() else f"has no {MANIFEST_FILE}"
                raise IndexCorrupt(f"{self.root}/CURRENT points at {directory.name}, which {missing}: {REBUILD_HINT}.")
        raise IndexCorrupt(f"{self.root}/CURRENT keeps changing while it is read; try again when the rebuilds finish.")

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the rebuild lock; the OS drops it if the process dies, so a killed rebuild never blocks.
        The folder is claimed first (`claim`): nothing is written to a folder that is not the index's.
        A user who may not write to the folder gets `IndexReadOnly`."""
        try:
            self.claim()
            handle = open(self.root / LOCK_FILE, "a+")
        except PermissionError as exc:
            raise IndexReadOnly(
                f"No write access to the index folder {self.root} ({exc.strerror}): it can be read but not rebuilt "
                "by this user. Run `python scripts/rebuild_index.py` as its owner, or set INDEX_DIR (or --index) "
                "to a folder you own."
            ) from None
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RebuildBusy(
                    f"Another rebuild of {self.root} is running; wait for it to finish and try again."
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def new_temp(self) -> Path:
        """A fresh folder to build a version in (call while holding the lock)."""
        for stale in self.root.glob("tmp-*"):
            if TEMP_NAME.fullmatch(stale.name) and stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
        temp = self.root / f"tmp-{uuid.uuid4().hex[:12]}"
        temp.mkdir(parents=True)
        return temp

    def publish(self, temp: Path) -> Path:
        """Make the finished folder `temp` the served version, atomically, and prune old versions."""
        for path in temp.rglob("*"):
            if path.is_file():
                with open(path, "rb") as handle:
                    os.fsync(handle.fileno())
        fsync_dir(temp)
        name = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        final = self.root / name
        os.rename(temp, final)
        fsync_dir(self.root)
        pointer = self.root / CURRENT_FILE
        if pointer.is_dir() and not pointer.is_symlink():  # damage: a folder where the pointer file belongs
            shutil.rmtree(pointer)
        write_atomic(pointer, (name + "\n").encode("utf-8"))
        self._prune(keep=final)
        return final

    def _prune(self, keep: Path) -> None:
        """Delete old versions beyond `KEEP_VERSIONS`, except any a reader still holds: each is first
        renamed to a temporary name under an exclusive lock, so no reader can lock it afterwards."""
        versions = sorted(
            (p for p in self.root.glob("v-*")
             if VERSION_NAME.fullmatch(p.name) and p.is_dir() and not p.is_symlink() and p != keep),
            key=lambda p: p.stat().st_mtime,
        )
        for old in versions[: max(0, len(versions) - (KEEP_VERSIONS - 1))]:
            try:
                descriptor = os.open(old / MANIFEST_FILE, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
            except OSError:  # a damaged version without a manifest: nobody can be reading it
                shutil.rmtree(old, ignore_errors=True)
                continue
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)  # in use by a running reader: the next rebuild prunes it
                continue
            doomed = self.root / f"tmp-{uuid.uuid4().hex[:12]}"
            try:
                os.rename(old, doomed)
            finally:
                os.close(descriptor)
            shutil.rmtree(doomed, ignore_errors=True)


class VersionReader:
    """A shared lock on one version's manifest, held while a process serves that version; closing it
    (or the process ending) lets a later rebuild prune the version."""

    def __init__(self, descriptor: int) -> None:
        self._descriptor = descriptor

    @classmethod
    def open(cls, directory: Path) -> "VersionReader | None":
        """Lock `directory`'s manifest shared; None when the version is gone or going (renamed away by
        a pruner since it was found)."""
        path = directory / MANIFEST_FILE
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            return None
        fcntl.flock(descriptor, fcntl.LOCK_SH)  # waits only while a pruner renames the folder
        try:
            in_place = os.stat(path, follow_symlinks=False).st_ino == os.fstat(descriptor).st_ino
        except OSError:
            in_place = False
        if not in_place:
            os.close(descriptor)
            return None
        return cls(descriptor)

    def close(self) -> None:
        if self._descriptor >= 0:
            os.close(self._descriptor)
            self._descriptor = -1

    def __del__(self) -> None:
        self.close()


def record_files(directory: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    """Size and SHA-256 of every file under the given names (files or folders) for the manifest."""
    files: dict[str, dict[str, Any]] = {}
    for name in names:
        path = directory / name
        paths = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in paths:
            rel = file.relative_to(directory).as_posix()
            files[rel] = {"size": file.stat().st_size, "sha256": sha256_file(file)}
    return files


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IndexCorrupt(f"The index folder {directory} has no {MANIFEST_FILE}: {REBUILD_HINT}.") from None
    return Manifest.from_json(data, path)


def verify_files(
    directory: Path, manifest: Manifest, skip: set[str] | frozenset[str] = frozenset(), only: set[str] | None = None
) -> None:
    """Check the files the manifest lists (all, less `skip`, or just `only`): present, same size, same SHA-256."""
    if not manifest.files:
        raise IndexCorrupt(f"The manifest in {directory} lists no files: {REBUILD_HINT}.")
    for rel, expected in manifest.files.items():
        if rel in skip or (only is not None and rel not in only):
            continue
        path = directory / rel
        if not path.resolve().is_relative_to(directory.resolve()):
            raise IndexCorrupt(f"The manifest in {directory} names a file outside the index ({rel!r}): {REBUILD_HINT}.")
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise IndexCorrupt(f"Index file {path} is missing: {REBUILD_HINT}.") from None
        if size != expected.get("size"):
            raise IndexCorrupt(
                f"Index file {path} is {size} bytes, {expected.get('size')} expected (truncated?): {REBUILD_HINT}."
            )
        if sha256_file(path) != expected.get("sha256"):
            raise IndexCorrupt(f"Index file {path} does not match its checksum (altered?): {REBUILD_HINT}.")


def load_units(directory: Path) -> np.ndarray:
    units = np.load(directory / UNITS_FILE, allow_pickle=False)
    if units.dtype != UNIT_DTYPE or units.ndim != 1:
        raise IndexCorrupt(f"{directory / UNITS_FILE} has an unexpected layout: {REBUILD_HINT}.")
    return units


def load_text(directory: Path) -> bytes | mmap.mmap:
    """All documents' UTF-8 text, concatenated and memory-mapped; quotes are byte slices of it."""
    with open(directory / TEXT_FILE, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return b""
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
