"""Retrieval units derived from the sentence table: windows, paragraphs and documents.

Sentences are what gets quoted; the wider units give each sentence its context when scoring (a name
said one sentence earlier, a paragraph about the question's subject). All of them are derived from the
unit table, so the builder and the retriever agree on them by construction.
"""

from __future__ import annotations

import numpy as np

CHUNKER_VERSION = 1
MAX_SENTENCE_CHARS = 500
WINDOW_RADIUS = 1
LEXICAL_LEVELS = ("sentences", "windows", "paragraphs", "documents")


def chunker_config() -> dict[str, int]:
    """Recorded in the manifest: an index split differently cannot reuse vectors."""
    return {"version": CHUNKER_VERSION, "max_sentence_chars": MAX_SENTENCE_CHARS, "window_radius": WINDOW_RADIUS}


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
    """For each unit, the row of its paragraph or document in that level's lexical index."""
    if level == "documents":
        keys = units["doc"].astype(np.int64)
    elif level == "paragraphs":
        keys = (units["doc"].astype(np.int64) << 32) | units["paragraph"].astype(np.int64)
    else:
        raise ValueError(level)
    change = np.r_[True, keys[1:] != keys[:-1]]
    return np.cumsum(change) - 1


def level_token_lists(units: np.ndarray, tokens: list[list[str]]) -> dict[str, list[list[str]]]:
    """The BM25 terms of every unit at every level, built from the sentences' terms."""
    lo, hi = window_bounds(units["doc"])
    levels: dict[str, list[list[str]]] = {
        "sentences": tokens,
        "windows": [sum(tokens[a:b + 1], []) for a, b in zip(lo.tolist(), hi.tolist())],
    }
    for level in ("paragraphs", "documents"):
        ids = group_ids(units, level)
        grouped: list[list[str]] = [[] for _ in range(int(ids[-1]) + 1 if len(ids) else 0)]
        for unit, group in enumerate(ids.tolist()):
            grouped[group].extend(tokens[unit])
        levels[level] = grouped
    return levels
