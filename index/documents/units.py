"""Retrieval units derived from the sentence table: windows, paragraphs and documents.

Sentences are what gets quoted; the wider units give each sentence its context when scoring (a name
said one sentence earlier, a paragraph about the question's subject). All of them are derived from the
unit table, so the builder and the retriever agree on them by construction.
"""

from __future__ import annotations

import re

import numpy as np

from index.documents.readable import readable
from index.lexical.tokens import tokenize

CHUNKER_VERSION = 4
MAX_SENTENCE_CHARS = 500
WINDOW_RADIUS = 1
WIDE_WINDOW_RADIUS = 2
LEXICAL_LEVELS = ("sentences", "windows", "wide_windows", "paragraphs", "documents")
DENSE_LEVELS = ("sentences", "windows", "paragraphs")
"""Each dense level is a vector store: sentences and windows are searched, paragraphs only compared."""

UNIT_DTYPE = np.dtype(
    [
        ("doc", "<i4"),
        ("start", "<i8"),
        ("end", "<i8"),
        ("byte_start", "<i8"),
        ("byte_end", "<i8"),
        ("paragraph", "<i4"),
        ("line", "<i4"),
    ]
)
"""One row per sentence: its document, character and byte offsets (into the document and into the index's text.bin)."""


def chunker_config() -> dict[str, int]:
    """Recorded in the manifest: an index split differently cannot reuse vectors."""
    return {
        "version": CHUNKER_VERSION,
        "max_sentence_chars": MAX_SENTENCE_CHARS,
        "window_radius": WINDOW_RADIUS,
        "wide_window_radius": WIDE_WINDOW_RADIUS,
    }


def window_bounds(docs: np.ndarray, radius: int = WINDOW_RADIUS) -> tuple[np.ndarray, np.ndarray]:
    """For each unit, the first and last unit of its window: up to `radius` sentences each side,
    within the same document."""
    n = len(docs)
    index = np.arange(n)
    lo = index.copy()
    hi = index.copy()
    for _ in range(radius):
        step_back = np.r_[False, docs[1:] == docs[:-1]][lo]
        lo = np.where(step_back, lo - 1, lo)
        step_on = np.r_[docs[:-1] == docs[1:], False][hi]
        hi = np.where(step_on, hi + 1, hi)
    return lo, hi


def group_ids(units: np.ndarray, level: str) -> np.ndarray:
    """For each unit, the row of its paragraph or document in that level's index."""
    if level == "documents":
        keys = units["doc"].astype(np.int64)
    elif level == "paragraphs":
        keys = (units["doc"].astype(np.int64) << 32) | units["paragraph"].astype(np.int64)
    else:
        raise ValueError(level)
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.r_[True, keys[1:] != keys[:-1]]
    return np.cumsum(change) - 1


def name_terms(path: str) -> list[str]:
    """BM25 terms of a document's file name ("korea-herald-2021.txt" -> korea, herald, 2021)."""
    stem = path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path
    return tokenize(re.sub(r"[_\-./\\]+", " ", stem))


def level_spans(units: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The first and last sentence of every unit at every lexical level (each unit is a run of
    consecutive sentences; documents also get their file name's terms, added by the caller, since
    people ask for "the herald article")."""
    every = np.arange(len(units))
    spans = {"sentences": (every, every)}
    for level, radius in (("windows", WINDOW_RADIUS), ("wide_windows", WIDE_WINDOW_RADIUS)):
        spans[level] = window_bounds(units["doc"], radius)
    for level in ("paragraphs", "documents"):
        ids = group_ids(units, level)
        change = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.zeros(0, np.int64)
        spans[level] = (change, np.r_[change[1:] - 1, len(ids) - 1] if len(ids) else change)
    return spans


def dense_texts(text: str, starts: list[int], ends: list[int], paragraphs: list[int]) -> dict[str, list[str]]:
    """What each dense level embeds for one document: each sentence, each sentence with its neighbours
    (as they stand in the text), and each paragraph's sentences joined by spaces; all as read, without
    Markdown markup (`index/documents/readable.py`)."""
    n = len(starts)
    sentences = [readable(text[a:b]) for a, b in zip(starts, ends)]
    windows = [
        readable(text[starts[max(i - WINDOW_RADIUS, 0)]:ends[min(i + WINDOW_RADIUS, n - 1)]]) for i in range(n)
    ]
    paragraph_texts: list[str] = []
    previous = None
    for sentence, paragraph in zip(sentences, paragraphs):
        if paragraph != previous:
            paragraph_texts.append(sentence)
            previous = paragraph
        else:
            paragraph_texts[-1] += " " + sentence
    return {"sentences": sentences, "windows": windows, "paragraphs": paragraph_texts}
