"""One published index version, opened for answering: checked, memory-mapped, with the per-unit
tables the retriever needs derived once at load time."""

from __future__ import annotations

import bisect
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.config import Settings
from index.dense.model import describe_model
from index.dense.stores import incompatibility, open_stores, rebuild_only_files
from index.dense.vectors import VectorStore
from index.documents.cues import CUE_DTYPE
from index.documents.units import DENSE_LEVELS, LEXICAL_LEVELS, chunker_config, group_ids, name_terms
from index.documents.words import WordTable
from index.errors import IndexCorrupt, IndexIncompatible, IndexMissing, IndexProblem, SettingError
from index.lexical.bm25 import LexicalIndex
from index.lexical.tokens import tokenize
from index.storage.store import (
    ACRONYMS_FILE,
    CUES_FILE,
    DENSE_DIR,
    LEXICAL_DIR,
    REBUILD_HINT,
    WORDS_FILE,
    IndexFolder,
    Manifest,
    VersionReader,
    load_text,
    load_units,
    read_manifest,
    verify_files,
)

DOC_REFERENCE_MAX_SHARE = 0.005
"""A file-name word names its document when at most this share of sentences (or 2) use it."""


@dataclass
class LoadedIndex:
    """Everything needed to answer from one index version; read-only once built, so threads share it."""

    directory: Path
    manifest: Manifest
    units: np.ndarray
    cues: np.ndarray
    text: bytes
    acronyms: dict[str, str]
    words: WordTable
    """The documents' words (`words.json`), which the question stage spells misspelt words by."""
    dense: dict[str, VectorStore]
    lexical: dict[str, LexicalIndex]
    doc_of: np.ndarray
    paragraph_of: np.ndarray
    previous_paragraph: np.ndarray
    same_doc_before: np.ndarray
    same_doc_after: np.ndarray
    doc_names: list[str]
    doc_name_terms: list[frozenset[str]]
    name_vocabulary: frozenset[str]
    """Every file-name term of the corpus, built once so no question pays for the number of files."""
    name_idf: dict[str, float]
    doc_reference_words: dict[str, frozenset[int]]
    reader: VersionReader | None = None
    """The shared lock that keeps rebuilds from pruning this version while it is served."""

    @property
    def size(self) -> int:
        return len(self.units)

    def sentence(self, unit: int) -> str:
        row = self.units[unit]
        return self.text[row["byte_start"]:row["byte_end"]].decode("utf-8")

    def span_text(self, first: int, last: int) -> str:
        """The document text from the start of unit `first` to the end of unit `last` (same document)."""
        return self.text[self.units[first]["byte_start"]:self.units[last]["byte_end"]].decode("utf-8")

    def where(self, doc: int, offset: int) -> tuple[str, str] | None:
        """For a converted document: ("page", "2") for a PDF, ("section", heading) for HTML and .docx,
        at `offset` of its extracted text; None for text files or before the first mark."""
        entry = self.manifest.documents[doc]
        if not entry.marks:
            return None
        at = bisect.bisect_right([start for start, _ in entry.marks], offset) - 1
        if at < 0:
            return None
        label = entry.marks[at][1]
        if entry.kind == "pdf":
            return "page", label.removeprefix("page ").strip()
        return "section", label

    def idf(self, term: str) -> float:
        """BM25 (Lucene) inverse document frequency of a term over sentences."""
        df = self.lexical["sentences"].document_frequency(term)
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))


def open_index(settings: Settings, verify: bool = True) -> LoadedIndex:
    """Open the served version in `settings.index_dir`, refusing one that is missing, built by another
    model or splitter, of another format, or altered since it was written."""
    opened = IndexFolder(settings.index_dir).read_current()
    if opened is None:
        raise IndexMissing(f"There is no index in {settings.index_dir} yet: {REBUILD_HINT}.")
    directory, reader = opened
    try:
        manifest = read_manifest(directory)
        check_compatible(manifest, settings, directory)
        if verify:
            verify_files(directory, manifest, skip=rebuild_only_files(manifest.store, DENSE_DIR))
        index = _load(directory, manifest, settings)
    except (IndexProblem, SettingError):
        reader.close()
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        reader.close()
        raise IndexCorrupt(f"The index in {directory} could not be read ({exc}): {REBUILD_HINT}.") from exc
    index.reader = reader
    return index


def check_compatible(manifest: Manifest, settings: Settings, directory: Path) -> None:
    """Raise IndexIncompatible when the index was built by another model, sentence splitter or vector store."""
    wanted = describe_model(settings)
    model = manifest.model
    if model.get("fingerprint") != wanted.fingerprint or model.get("backend") != wanted.backend:
        raise IndexIncompatible(
            f"The index in {directory} was built with model {model.get('name')} ({model.get('backend')}), "
            f"not EMBED_MODEL={settings.embed_model} ({settings.embed_backend}): {REBUILD_HINT} --full."
        )
    if manifest.chunker != chunker_config():
        raise IndexIncompatible(
            f"The index in {directory} was split by another version of the sentence splitter: {REBUILD_HINT}."
        )
    store_change = incompatibility(manifest.store, settings)
    if store_change:
        raise IndexIncompatible(f"The index in {directory} {store_change}: {REBUILD_HINT} --full.")


def _load(directory: Path, manifest: Manifest, settings: Settings) -> LoadedIndex:
    units = load_units(directory)
    cues = np.load(directory / CUES_FILE, allow_pickle=False)
    if cues.dtype != CUE_DTYPE or len(cues) != len(units) or len(units) != manifest.unit_count:
        raise IndexCorrupt(f"The unit tables in {directory} disagree with its manifest: {REBUILD_HINT}.")
    text = load_text(directory)
    check_documents(directory, manifest, units, len(text))
    dense = open_stores(directory / DENSE_DIR, manifest.store, DENSE_LEVELS, settings)
    paragraphs = sum(d.paragraphs for d in manifest.documents)
    if (dense["sentences"].size, dense["windows"].size, dense["paragraphs"].size) != (len(units), len(units), paragraphs) \
            or any(store.dim != manifest.model.get("dim") for store in dense.values()):
        raise IndexCorrupt(f"The vector stores in {directory} disagree with its unit table or model: {REBUILD_HINT}.")
    lexical = {level: LexicalIndex.load(directory / LEXICAL_DIR / level, mmap=True) for level in LEXICAL_LEVELS}
    acronyms = json.loads((directory / ACRONYMS_FILE).read_text(encoding="utf-8"))
    doc_of = units["doc"].astype(np.int64)
    paragraph_of = group_ids(units, "paragraphs")
    paragraph_doc = np.zeros(int(paragraph_of[-1]) + 1, dtype=np.int64)
    paragraph_doc[paragraph_of] = doc_of
    previous_paragraph = np.where(
        np.r_[False, paragraph_doc[1:] == paragraph_doc[:-1]], np.arange(len(paragraph_doc)) - 1, -1
    )
    doc_names = [d.path for d in manifest.documents]
    name_sets = [frozenset(name_terms(name)) for name in doc_names]
    name_counts: Counter[str] = Counter(term for terms in name_sets for term in terms)
    sentences = lexical["sentences"]
    return LoadedIndex(
        directory=directory,
        manifest=manifest,
        units=units,
        cues=cues,
        text=text,  # type: ignore[arg-type]
        acronyms=acronyms,
        words=WordTable(directory / WORDS_FILE),
        dense=dense,
        lexical=lexical,
        doc_of=doc_of,
        paragraph_of=paragraph_of,
        previous_paragraph=previous_paragraph,
        same_doc_before=np.r_[False, doc_of[1:] == doc_of[:-1]],
        same_doc_after=np.r_[doc_of[1:] == doc_of[:-1], False],
        doc_names=doc_names,
        doc_name_terms=name_sets,
        name_vocabulary=frozenset(name_counts),
        name_idf={t: math.log(1 + len(doc_names) / c) for t, c in name_counts.items()},
        doc_reference_words=_doc_reference_words(doc_names, sentences, len(units)),
    )


def check_documents(directory: Path, manifest: Manifest, units: np.ndarray, text_size: int) -> None:
    """The manifest's numbers per document are not covered by a checksum (the files it lists are):
    check them against the unit table, which is, so an edited manifest cannot misplace vectors."""
    unit = byte = paragraph = 0
    for number, doc in enumerate(manifest.documents):
        rows = units[doc.first_unit:doc.first_unit + doc.units]
        consistent = (
            (doc.first_unit, doc.byte_start, doc.first_paragraph) == (unit, byte, paragraph)
            and doc.units > 0 and len(rows) == doc.units and doc.byte_end >= doc.byte_start
            and bool(np.all(rows["doc"] == number))
            and int(rows["byte_start"].min()) >= doc.byte_start and int(rows["byte_end"].max()) <= doc.byte_end
            and len(set(rows["paragraph"].tolist())) == doc.paragraphs
        )
        if not consistent:
            raise IndexCorrupt(f"The manifest in {directory} disagrees with its unit table about {doc.path!r}: {REBUILD_HINT}.")
        unit, byte, paragraph = unit + doc.units, doc.byte_end, paragraph + doc.paragraphs
    if (unit, byte) != (len(units), text_size):
        raise IndexCorrupt(f"The manifest in {directory} does not cover its unit table and text: {REBUILD_HINT}.")


def _doc_reference_words(doc_names: list[str], sentences: LexicalIndex, unit_count: int) -> dict[str, frozenset[int]]:
    """File-name words rare in the text ("herald", "blog"): a question using one refers to that file."""
    limit = max(2, DOC_REFERENCE_MAX_SHARE * unit_count)
    found: dict[str, set[int]] = {}
    for doc, name in enumerate(doc_names):
        stem = name.rsplit(".", 1)[0].lower()
        for word in re.split(r"[^a-z]+", stem):
            terms = tokenize(word) if len(word) >= 3 else []
            if terms and sentences.document_frequency(terms[0]) <= limit:
                found.setdefault(word, set()).add(doc)
    return {word: frozenset(docs) for word, docs in found.items()}
