"""Rebuilding the index: incremental, streaming, atomic.

* Incremental: a document whose content hash is unchanged keeps its vectors from the previous index;
  only new and changed documents are embedded. A run where nothing changed returns in about a second
  without loading the model.
* Streaming: document text goes straight to disk, vectors are written in batches to a memory-mapped
  file, so memory stays bounded by the batch size and the lexical tables, not by the corpus.
* Atomic: everything is written into a temporary folder that is swapped in by `IndexFolder.publish`;
  a failure or a kill at any point leaves the previous index serving.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol

import numpy as np

from index.config import Settings
from index.dense.embedding import Encoder, ModelIdentity, describe_model, load_encoder
from index.dense.stores import (
    StoreWriter,
    incompatibility,
    open_stores,
    prune_unused,
    rebuild_only_files,
    store_outdated,
)
from index.dense.stores import describe as describe_store
from index.documents.acronyms import build_table
from index.documents.analysis import analyse
from index.documents.corpus import DocumentFile, Skipped, list_corpus, read_document
from index.documents.units import DENSE_LEVELS, LEXICAL_LEVELS, chunker_config, dense_texts, level_spans, name_terms
from index.documents.words import WordCounts
from index.errors import CorpusEmpty, IndexProblem, IndexWriteError  # noqa: F401 - raised here, part of the API
from index.lexical.bm25 import LexicalIndex
from index.lexical.matrix import TokenTableBuilder, score_matrix
from index.storage.fsutil import sha256_file, write_atomic
from index.storage.loaded import open_index
from index.storage.store import (
    ACRONYMS_FILE,
    CUES_FILE,
    DENSE_DIR,
    LEXICAL_DIR,
    MANIFEST_FILE,
    TEXT_FILE,
    UNITS_FILE,
    WORDS_FILE,
    DocumentEntry,
    IndexFolder,
    Manifest,
    load_text,
    read_manifest,
    record_files,
    verify_files,
)

EMBED_BATCH = 64
EMBED_CHUNK = 1024
"""Texts handed to the encoder at once (it batches them by EMBED_BATCH): bounds memory, keeps batches full."""


class Progress(Protocol):
    """Where a rebuild reports what it is doing; the rebuild script draws bars from it."""

    def stage(self, name: str, total: int, unit: str = "items") -> None:
        """A stage starts: `total` of `unit` ("documents", "texts", "levels") to go."""

    def advance(self, n: int) -> None: ...


class _Silent:
    def stage(self, name: str, total: int, unit: str = "items") -> None:
        pass

    def advance(self, n: int) -> None:
        pass


@dataclass
class RebuildSummary:
    """What a rebuild did, for the closing summary and for `/reindex`."""

    index_dir: Path
    documents: int = 0
    units: int = 0
    embedded_units: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reused: int = 0
    """Documents whose vectors were copied from the previous version instead of embedded."""
    unchanged: int = 0
    """Documents the same as in the previous version (re-embedded anyway with --full)."""
    skipped: list[Skipped] = field(default_factory=list)
    up_to_date: bool = False
    full: bool = False
    pruned_collections: list[str] = field(default_factory=list)
    store: str = ""
    note: str = ""
    seconds: float = 0.0


@dataclass
class _Previous:
    directory: Path
    manifest: Manifest


def rebuild(
    settings: Settings,
    *,
    full: bool = False,
    progress: Progress | None = None,
    encoder: Encoder | None = None,
) -> RebuildSummary:
    """Bring the index in `settings.index_dir` up to date with `settings.corpus_dir`."""
    started = time.monotonic()
    progress = progress or _Silent()
    folder = IndexFolder(settings.index_dir, corpus=settings.corpus_dir)
    summary = RebuildSummary(index_dir=settings.index_dir, full=full)
    with folder.lock():
        candidates, listing_skips = list_corpus(settings)
        previous, summary.note = _previous_index(folder, settings, full)
        if previous is not None and _unchanged(previous.manifest, candidates):
            if not store_outdated(previous.manifest.store, settings, _level_sizes(previous.manifest)):
                _summarise_unchanged(summary, previous.manifest)
                summary.seconds = time.monotonic() - started
                return summary
            summary.note = "the vector store settings changed (ANN_THRESHOLD): re-indexing the stored vectors"
        temp: Path | None = None
        try:
            temp = folder.new_temp()
            manifest = _build(temp, settings, candidates, listing_skips, previous, progress, encoder, summary)
            folder.publish(temp)
        except BaseException as exc:
            if temp is not None:
                shutil.rmtree(temp, ignore_errors=True)
            if isinstance(exc, OSError):
                raise IndexWriteError(_write_failure(settings.index_dir, exc)) from exc
            raise
        summary.pruned_collections = prune_unused(settings, _kept_store_records(folder))
    summary.documents = len(manifest.documents)
    summary.units = manifest.unit_count
    summary.store = describe_store(manifest.store)
    summary.seconds = time.monotonic() - started
    return summary


def _write_failure(index_dir: Path, exc: OSError) -> str:
    reason = f"{exc.strerror}: {exc.filename}" if exc.strerror and exc.filename else str(exc)
    return (
        f"Could not write the new index in {index_dir} ({reason}); the previous index is unchanged and "
        "still serving. Free some disk space (or raise the file-size limit) and run "
        "`python scripts/rebuild_index.py` again."
    )


def _previous_index(folder: IndexFolder, settings: Settings, full: bool) -> tuple[_Previous | None, str]:
    """The served index if its vectors can be reused, else None and why not."""
    try:
        current = folder.current()
        if current is None:
            return None, "no previous index: building from scratch"
        manifest = read_manifest(current)
    except IndexProblem as exc:
        return None, f"previous index unusable ({exc}); building from scratch"
    if full:
        return None, "--full: re-embedding every document"
    if manifest.model.get("fingerprint") != describe_model(settings).fingerprint or manifest.model.get(
        "backend"
    ) != settings.embed_backend:
        return None, "the embedding model changed: re-embedding every document"
    if manifest.chunker != chunker_config():
        return None, "the sentence splitter changed: re-embedding every document"
    store_change = incompatibility(manifest.store, settings)
    if store_change:
        return None, f"the vector store changed (the index {store_change}): re-embedding every document"
    try:
        open_index(settings)  # every checksum and table: a damaged index must not lend its vectors
    except IndexProblem as exc:
        return None, f"previous index unusable ({exc}); building from scratch"
    return _Previous(current, manifest), ""


def _served_documents(folder: IndexFolder) -> dict[str, str]:
    """Path -> content hash of the documents in the served version (also when its vectors are not
    reused, as with --full), so the summary names what really was added, changed and removed."""
    try:
        current = folder.current()
        return {d.path: d.sha256 for d in read_manifest(current).documents} if current else {}
    except IndexProblem:
        return {}


def _level_sizes(manifest: Manifest) -> dict[str, int]:
    units = manifest.unit_count
    return {"sentences": units, "windows": units, "paragraphs": sum(d.paragraphs for d in manifest.documents)}


def _kept_store_records(folder: IndexFolder) -> list[dict[str, object]]:
    """The store records of every version still on disk (their server collections must stay)."""
    records = []
    for version in folder.root.glob("v-*"):
        try:
            records.append(read_manifest(version).store)
        except IndexProblem:
            continue
    return records


def _unchanged(manifest: Manifest, candidates: list[DocumentFile]) -> bool:
    """Same files with the same sizes and modification times as when the index was built."""
    recorded = {d.path: (d.size, d.mtime_ns) for d in manifest.documents}
    recorded.update({s["path"]: (s.get("size"), s.get("mtime_ns")) for s in manifest.skipped if "size" in s})
    return recorded == {c.path: (c.size, c.mtime_ns) for c in candidates} and len(recorded) == len(candidates)


def corpus_changes(settings: Settings, manifest: Manifest) -> str:
    """How the corpus differs from what the index was built from ("" when it does not), judged by
    file names, sizes and modification times; a document whose time alone moved (`touch`, a git
    checkout, rsync) is read and counts as changed only if its content hash differs."""
    candidates, _ = list_corpus(settings)
    if _unchanged(manifest, candidates):
        return ""
    recorded = {d.path: (d.size, d.mtime_ns) for d in manifest.documents}
    recorded.update({s["path"]: (s.get("size"), s.get("mtime_ns")) for s in manifest.skipped if "size" in s})
    hashes = {d.path: d.sha256 for d in manifest.documents}
    now = {c.path: (c.size, c.mtime_ns) for c in candidates}
    where = {c.path: c.absolute for c in candidates}
    added = len(set(now) - set(recorded))
    removed = len(set(recorded) - set(now))
    changed = sum(1 for p in set(now) & set(recorded) if now[p] != recorded[p] and not _same_content(
        where[p], now[p][0], recorded[p][0], hashes.get(p)))
    return ", ".join(f"{n} {what}" for n, what in ((added, "added"), (changed, "changed"), (removed, "removed")) if n)


def _same_content(path: Path, size: int, recorded_size: int | None, recorded_hash: str | None) -> bool:
    """Whether a file whose modification time moved still holds the bytes it was indexed from."""
    if recorded_hash is None or size != recorded_size:
        return False
    try:
        return sha256_file(path) == recorded_hash
    except OSError:
        return False


def _summarise_unchanged(summary: RebuildSummary, manifest: Manifest) -> None:
    summary.up_to_date = True
    summary.documents = len(manifest.documents)
    summary.units = manifest.unit_count
    summary.reused = summary.unchanged = len(manifest.documents)
    summary.skipped = [Skipped(s["path"], s["reason"]) for s in manifest.skipped]


def _same_text(previous_text: BinaryIO, old: DocumentEntry, encoded: bytes) -> bool:
    """Whether the previous version stored exactly this text for the document: the same bytes read
    by a reader that now extracts them differently (a PDF repair, say) must not lend it old vectors."""
    if old.byte_end - old.byte_start != len(encoded):
        return False
    previous_text.seek(old.byte_start)
    return previous_text.read(len(encoded)) == encoded


def _build(
    temp: Path,
    settings: Settings,
    candidates: list[DocumentFile],
    listing_skips: list[Skipped],
    previous: _Previous | None,
    progress: Progress,
    encoder: Encoder | None,
    summary: RebuildSummary,
) -> Manifest:
    """Write a complete index into `temp` and return its manifest."""
    reusable = {d.sha256: d for d in previous.manifest.documents} if previous else {}
    old_paths = _served_documents(IndexFolder(settings.index_dir))
    entries: list[DocumentEntry] = []
    skipped_records: list[dict[str, object]] = [{"path": s.path, "reason": s.reason} for s in listing_skips]
    summary.skipped = list(listing_skips)
    unit_chunks: list[np.ndarray] = []
    cue_chunks: list[np.ndarray] = []
    tokens = TokenTableBuilder()
    phrase_counts: Counter[str] = Counter()
    word_counts = WordCounts()
    plan = _EmbeddingPlan()
    unit_count = paragraph_count = byte_offset = 0
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")

    progress.stage("reading", len(candidates), "documents")
    with open(temp / TEXT_FILE, "wb") as text_out, ExitStack() as stack:
        previous_text = stack.enter_context(open(previous.directory / TEXT_FILE, "rb")) if previous else None
        for candidate in candidates:
            result = read_document(candidate, settings.max_document_mb * 1024 * 1024)
            progress.advance(1)
            if isinstance(result, Skipped):
                _skip(summary, skipped_records, result, candidate)
                continue
            analysis = analyse(result.text, chunker_config()["max_sentence_chars"])
            if not analysis.sentences:
                _skip(summary, skipped_records, Skipped(result.path, "no sentences with words in it"), candidate)
                continue
            units = analysis.units
            units["doc"] = len(entries)
            units["byte_start"] += byte_offset
            units["byte_end"] += byte_offset
            encoded = result.text.encode("utf-8")
            text_out.write(encoded)
            tokens.add(analysis.terms)
            word_counts.update(analysis.words)
            cue_chunks.append(analysis.cues)
            phrase_counts.update(analysis.names)
            unit_chunks.append(units)
            paragraphs = len(set(units["paragraph"].tolist()))
            entry = DocumentEntry(
                path=result.path,
                sha256=result.sha256,
                size=result.size,
                mtime_ns=result.mtime_ns,
                chars=len(result.text),
                byte_start=byte_offset,
                byte_end=byte_offset + len(encoded),
                first_unit=unit_count,
                units=len(units),
                first_paragraph=paragraph_count,
                paragraphs=paragraphs,
                indexed_at=now,
                kind=result.kind,
                marks=[[mark.start, mark.label] for mark in result.marks],
            )
            old = reusable.get(result.sha256)
            if (old is not None and previous_text is not None and (old.units, old.paragraphs) == (entry.units, entry.paragraphs)
                    and _same_text(previous_text, old, encoded)):
                entry.indexed_at = old.indexed_at
                plan.reuse.append((entry, old))
                summary.reused += 1
            else:
                plan.embed.append(entry)
            if result.path not in old_paths:
                summary.added.append(result.path)
            elif old_paths[result.path] != result.sha256:
                summary.changed.append(result.path)
            else:
                summary.unchanged += 1
            entries.append(entry)
            unit_count += len(units)
            paragraph_count += paragraphs
            byte_offset += len(encoded)
    summary.removed = sorted(set(old_paths) - {e.path for e in entries})
    if not entries:
        raise CorpusEmpty(
            f"No document in {settings.corpus_dir} could be indexed "
            f"({len(summary.skipped)} skipped, {len(candidates)} candidates): add .txt or .md files "
            "in UTF-8, or point CORPUS_DIR / --corpus at another folder."
        )

    units = np.concatenate(unit_chunks)
    np.save(temp / UNITS_FILE, units, allow_pickle=False)
    np.save(temp / CUES_FILE, np.concatenate(cue_chunks), allow_pickle=False)
    write_atomic(temp / ACRONYMS_FILE, json.dumps(build_table([phrase_counts]), ensure_ascii=False).encode("utf-8"))
    write_atomic(temp / WORDS_FILE, word_counts.encode())
    identity, store = _embed(temp, settings, units, entries, plan, previous, progress, encoder, summary)
    del units

    progress.stage("lexical index", len(LEXICAL_LEVELS), "levels")
    units = np.load(temp / UNITS_FILE, allow_pickle=False)
    table = tokens.build()
    del tokens
    file_name_terms = [name_terms(e.path) for e in entries]
    for level, (first, last) in level_spans(units).items():
        extras = file_name_terms if level == "documents" else None
        LexicalIndex.from_matrix(score_matrix(table, first, last, extras)).save(temp / LEXICAL_DIR / level)
        progress.advance(1)

    manifest = Manifest(
        model=identity.as_dict(),
        chunker=chunker_config(),
        store=store,
        documents=entries,
        skipped=skipped_records,  # type: ignore[arg-type]
        created=now,
    )
    manifest.files = record_files(temp, [UNITS_FILE, CUES_FILE, TEXT_FILE, ACRONYMS_FILE, WORDS_FILE, DENSE_DIR, LEXICAL_DIR])
    write_atomic(temp / MANIFEST_FILE, manifest.to_json())
    return manifest


def _skip(summary: RebuildSummary, records: list[dict[str, object]], skipped: Skipped, candidate: DocumentFile) -> None:
    """Report a document that cannot be indexed; size and time are kept so an unchanged corpus is
    recognised as such next time."""
    summary.skipped.append(skipped)
    records.append({"path": skipped.path, "reason": skipped.reason, "size": candidate.size, "mtime_ns": candidate.mtime_ns})


@dataclass
class _EmbeddingPlan:
    """Which documents get new vectors and which copy theirs from the previous index."""

    embed: list[DocumentEntry] = field(default_factory=list)
    reuse: list[tuple[DocumentEntry, DocumentEntry]] = field(default_factory=list)  # (new, old)


def _level_range(entry: DocumentEntry, level: str) -> tuple[int, int]:
    """Rows of a document's vectors in a dense level's store."""
    if level == "paragraphs":
        return entry.first_paragraph, entry.first_paragraph + entry.paragraphs
    return entry.first_unit, entry.first_unit + entry.units


def _level_chunks(
    text: bytes, units: np.ndarray, entries: list[DocumentEntry], level: str
) -> Iterator[tuple[np.ndarray, list[str]]]:
    """(rows, texts) of one dense level for the documents to embed, in chunks of `EMBED_CHUNK` texts
    gathered across documents: a corpus of thousands of one-line files still fills whole batches, and
    the encoder sorts each chunk by length so little time goes into padding."""
    rows: list[int] = []
    texts: list[str] = []
    for entry in entries:
        doc_text = text[entry.byte_start:entry.byte_end].decode("utf-8")
        doc_units = units[entry.first_unit:entry.first_unit + entry.units]
        level_texts = dense_texts(
            doc_text, doc_units["start"].tolist(), doc_units["end"].tolist(), doc_units["paragraph"].tolist()
        )[level]
        lo, _ = _level_range(entry, level)
        rows.extend(range(lo, lo + len(level_texts)))
        texts.extend(level_texts)
        while len(texts) >= EMBED_CHUNK:
            yield np.array(rows[:EMBED_CHUNK]), texts[:EMBED_CHUNK]
            del rows[:EMBED_CHUNK], texts[:EMBED_CHUNK]
    if texts:
        yield np.array(rows), texts


def _embed(
    temp: Path,
    settings: Settings,
    units: np.ndarray,
    entries: list[DocumentEntry],
    plan: _EmbeddingPlan,
    previous: _Previous | None,
    progress: Progress,
    encoder: Encoder | None,
    summary: RebuildSummary,
) -> tuple[ModelIdentity, dict[str, object]]:
    """Vectors for every dense level: copied for unchanged documents, encoded in batches for the rest
    and streamed into memory-mapped files, so memory stays bounded by the batch size; then each level
    is handed to the vector store (returns the model and the manifest's store record)."""
    if plan.embed:
        encoder = encoder or load_encoder(settings)
        identity = encoder.identity
    else:
        identity = ModelIdentity(**previous.manifest.model)  # type: ignore[union-attr]
    total_paragraphs = sum(e.paragraphs for e in entries)
    sizes = {"sentences": len(units), "windows": len(units), "paragraphs": total_paragraphs}
    memmaps = {
        level: _reserved_memmap(temp / f"{level}.tmp.npy", (sizes[level], identity.dim)) for level in DENSE_LEVELS
    }
    if plan.reuse:
        assert previous is not None
        # Files kept only for rebuilds are not checked when serving: check them before copying.
        verify_files(previous.directory, previous.manifest, only=rebuild_only_files(previous.manifest.store, DENSE_DIR))
        old_stores = open_stores(previous.directory / DENSE_DIR, previous.manifest.store, DENSE_LEVELS, settings)
        for level in DENSE_LEVELS:
            for new, old in plan.reuse:
                lo, hi = _level_range(new, level)
                old_lo, old_hi = _level_range(old, level)
                memmaps[level][lo:hi] = old_stores[level].vectors(old_lo, old_hi)
        del old_stores
    summary.embedded_units = sum(e.units for e in plan.embed)
    if plan.embed:
        text = load_text(temp)
        progress.stage("embedding", sum(2 * e.units + e.paragraphs for e in plan.embed), "texts")
        for level in DENSE_LEVELS:
            for rows, texts in _level_chunks(text, units, plan.embed, level):
                memmaps[level][rows] = encoder.encode(  # type: ignore[union-attr]
                    texts, batch_size=EMBED_BATCH, on_batch=progress.advance
                )
        del text
    progress.stage("vector index", len(DENSE_LEVELS), "levels")
    for level in DENSE_LEVELS:
        memmaps[level].flush()
    memmaps.clear()
    writer = StoreWriter(settings)
    for level in DENSE_LEVELS:
        writer.write(level, temp / f"{level}.tmp.npy", temp / DENSE_DIR / level)
        (temp / f"{level}.tmp.npy").unlink(missing_ok=True)
        progress.advance(1)
    return identity, writer.record()


def _reserved_memmap(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """A float32 memory-mapped array whose disk space is reserved now: writing through a sparse
    mapping on a full disk kills the process with SIGBUS, reserving first raises ENOSPC here."""
    array = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=shape)
    with open(path, "r+b") as handle:
        try:
            os.posix_fallocate(handle.fileno(), 0, os.fstat(handle.fileno()).st_size)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
    return array
