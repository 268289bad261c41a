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
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from .config import Settings
from .corpus import DocumentFile, Skipped, list_documents, read_document
from .embedding import Encoder, describe_model, load_encoder
from .lexical import LexicalIndex, tokenize
from .sentences import split_sentences
from .store import (
    LEXICAL_DIR,
    MANIFEST_FILE,
    TEXT_FILE,
    UNIT_DTYPE,
    UNITS_FILE,
    DocumentEntry,
    IndexFolder,
    IndexProblem,
    Manifest,
    load_text,
    read_manifest,
    record_files,
)
from .fsutil import write_atomic
from .units import LEXICAL_LEVELS, chunker_config, level_token_lists
from .vectors import FaissStore

EMBED_BATCH = 64


class CorpusEmpty(RuntimeError):
    """No usable document in the corpus folder: nothing to index."""


class Progress(Protocol):
    """Where a rebuild reports what it is doing; the rebuild script draws bars from it."""

    def stage(self, name: str, total: int) -> None: ...

    def advance(self, n: int) -> None: ...


class _Silent:
    def stage(self, name: str, total: int) -> None:
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
    skipped: list[Skipped] = field(default_factory=list)
    up_to_date: bool = False
    full: bool = False
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
    folder = IndexFolder(settings.index_dir)
    summary = RebuildSummary(index_dir=settings.index_dir, full=full)
    with folder.lock():
        candidates, listing_skips = list_documents(settings.corpus_dir, settings.extensions)
        previous, summary.note = _previous_index(folder, settings, full)
        if previous is not None and _unchanged(previous.manifest, candidates):
            _summarise_unchanged(summary, previous.manifest)
            summary.seconds = time.monotonic() - started
            return summary
        temp = folder.new_temp()
        try:
            manifest = _build(temp, settings, candidates, listing_skips, previous, progress, encoder, summary)
            folder.publish(temp)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
    summary.documents = len(manifest.documents)
    summary.units = manifest.unit_count
    summary.seconds = time.monotonic() - started
    return summary


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
    return _Previous(current, manifest), ""


def _unchanged(manifest: Manifest, candidates: list[DocumentFile]) -> bool:
    """Same files with the same sizes and modification times as when the index was built."""
    recorded = {d.path: (d.size, d.mtime_ns) for d in manifest.documents}
    recorded.update({s["path"]: (s.get("size"), s.get("mtime_ns")) for s in manifest.skipped if "size" in s})
    return recorded == {c.path: (c.size, c.mtime_ns) for c in candidates} and len(recorded) == len(candidates)


def _summarise_unchanged(summary: RebuildSummary, manifest: Manifest) -> None:
    summary.up_to_date = True
    summary.documents = len(manifest.documents)
    summary.units = manifest.unit_count
    summary.reused = len(manifest.documents)
    summary.skipped = [Skipped(s["path"], s["reason"]) for s in manifest.skipped]


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
    old_paths = {d.path: d.sha256 for d in previous.manifest.documents} if previous else {}
    entries: list[DocumentEntry] = []
    skipped_records: list[dict[str, object]] = [{"path": s.path, "reason": s.reason} for s in listing_skips]
    summary.skipped = list(listing_skips)
    unit_chunks: list[np.ndarray] = []
    tokens: list[list[str]] = []
    to_embed: list[tuple[int, int]] = []  # unit ranges of new or changed documents
    reuse: list[tuple[int, int, int]] = []  # (new first unit, old first unit, count)
    unit_count = 0
    byte_offset = 0
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")

    progress.stage("reading", len(candidates))
    with open(temp / TEXT_FILE, "wb") as text_out:
        for candidate in candidates:
            result = read_document(candidate)
            progress.advance(1)
            if isinstance(result, Skipped):
                summary.skipped.append(result)
                skipped_records.append(
                    {"path": result.path, "reason": result.reason, "size": candidate.size, "mtime_ns": candidate.mtime_ns}
                )
                continue
            sentences = split_sentences(result.text, max_chars=chunker_config()["max_sentence_chars"])
            if not sentences:
                reason = "no sentences with words in it"
                summary.skipped.append(Skipped(result.path, reason))
                skipped_records.append(
                    {"path": result.path, "reason": reason, "size": candidate.size, "mtime_ns": candidate.mtime_ns}
                )
                continue
            units, sentence_texts = _unit_rows(result.text, sentences, len(entries), byte_offset)
            encoded = result.text.encode("utf-8")
            text_out.write(encoded)
            tokens.extend(tokenize(t) for t in sentence_texts)
            unit_chunks.append(units)
            old = reusable.get(result.sha256)
            if old is not None and old.units == len(units):
                reuse.append((unit_count, old.first_unit, len(units)))
                summary.reused += 1
            else:
                to_embed.append((unit_count, unit_count + len(units)))
                (summary.changed if result.path in old_paths else summary.added).append(result.path)
            entries.append(
                DocumentEntry(
                    path=result.path,
                    sha256=result.sha256,
                    size=result.size,
                    mtime_ns=result.mtime_ns,
                    chars=len(result.text),
                    byte_start=byte_offset,
                    byte_end=byte_offset + len(encoded),
                    first_unit=unit_count,
                    units=len(units),
                    indexed_at=old.indexed_at if old is not None else now,
                )
            )
            unit_count += len(units)
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
    identity, store = _embed(temp, settings, units, to_embed, reuse, previous, progress, encoder, summary)
    store_files = store.save(temp)
    (temp / "vectors.tmp.npy").unlink(missing_ok=True)

    progress.stage("lexical index", len(LEXICAL_LEVELS))
    lexical_names = []
    for level, token_lists in level_token_lists(units, tokens).items():
        LexicalIndex.build(token_lists).save(temp / LEXICAL_DIR / level)
        lexical_names.append(f"{LEXICAL_DIR}/{level}")
        progress.advance(1)

    manifest = Manifest(
        model=identity.as_dict(),
        chunker=chunker_config(),
        store={"kind": "flat"},
        documents=entries,
        skipped=skipped_records,  # type: ignore[arg-type]
        created=now,
    )
    manifest.files = record_files(temp, [UNITS_FILE, TEXT_FILE, *store_files, *lexical_names])
    write_atomic(temp / MANIFEST_FILE, manifest.to_json())
    return manifest


def _unit_rows(
    text: str, sentences: list, doc_index: int, byte_offset: int
) -> tuple[np.ndarray, list[str]]:
    """The unit table rows for one document, with byte offsets into text.bin."""
    units = np.zeros(len(sentences), dtype=UNIT_DTYPE)
    texts = []
    byte_pos = 0
    char_pos = 0
    for row, sentence in enumerate(sentences):
        byte_pos += len(text[char_pos:sentence.start].encode("utf-8"))
        sentence_text = text[sentence.start:sentence.end]
        byte_len = len(sentence_text.encode("utf-8"))
        units[row] = (
            doc_index, sentence.start, sentence.end, byte_offset + byte_pos,
            byte_offset + byte_pos + byte_len, sentence.paragraph, sentence.line,
        )
        byte_pos += byte_len
        char_pos = sentence.end
        texts.append(sentence_text)
    return units, texts


def _embed(
    temp: Path,
    settings: Settings,
    units: np.ndarray,
    to_embed: list[tuple[int, int]],
    reuse: list[tuple[int, int, int]],
    previous: _Previous | None,
    progress: Progress,
    encoder: Encoder | None,
    summary: RebuildSummary,
):
    """Vectors for every unit: copied for unchanged documents, encoded in batches for the rest."""
    from .embedding import ModelIdentity

    pending = sum(hi - lo for lo, hi in to_embed)
    if pending:
        encoder = encoder or load_encoder(settings)
        identity = encoder.identity
    else:
        identity = ModelIdentity(**previous.manifest.model)  # type: ignore[union-attr]
    vectors = np.lib.format.open_memmap(
        temp / "vectors.tmp.npy", mode="w+", dtype=np.float32, shape=(len(units), identity.dim)
    )
    if reuse:
        old_store = FaissStore.load(previous.directory)  # type: ignore[union-attr]
        for new_first, old_first, count in reuse:
            vectors[new_first:new_first + count] = old_store.vectors(old_first, old_first + count)
    if pending:
        text = load_text(temp)
        progress.stage("embedding", pending)
        for lo, hi in to_embed:
            for batch_lo in range(lo, hi, EMBED_BATCH):
                batch_hi = min(hi, batch_lo + EMBED_BATCH)
                batch = [
                    text[u["byte_start"]:u["byte_end"]].decode("utf-8") for u in units[batch_lo:batch_hi]
                ]
                vectors[batch_lo:batch_hi] = encoder.encode(batch, batch_size=EMBED_BATCH)  # type: ignore[union-attr]
                progress.advance(batch_hi - batch_lo)
    summary.embedded_units = pending
    vectors.flush()
    progress.stage("vector index", 1)
    store = FaissStore.build(vectors)
    progress.advance(1)
    del vectors
    return identity, store
