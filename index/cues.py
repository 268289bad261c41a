"""What a sentence offers an asker, read once at build time: numbers, dates, reasons, names, quotations,
and whether it is a heading.

The ranker weighs these against the question's answer type ("how many" wants a number); storing them
as one small array keeps regular expressions off the answering path.
"""

from __future__ import annotations

import re

import numpy as np

from .question import DATE, NUMBER, REASON

CUE_DTYPE = np.dtype(
    [
        ("number", "u1"),
        ("date", "u1"),
        ("reason", "u1"),
        ("names", "u1"),
        ("quotation", "u1"),
        ("heading", "u1"),
    ]
)

_NAME_INSIDE = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+")
_QUOTATION = re.compile("[\"“”]")
_ENDS_LIKE_PROSE = re.compile(r"[.!?:;\"”’)]\s*$")
HEADING_MAX_CHARS = 100


def sentence_cues(sentence: str) -> tuple[int, ...]:
    """One row of `CUE_DTYPE` for a sentence; `names` counts capitalised words not starting it (max 3)."""
    return (
        int(bool(NUMBER.search(sentence))),
        int(bool(DATE.search(sentence))),
        int(bool(REASON.search(sentence))),
        min(len(_NAME_INSIDE.findall(sentence)), 3),
        int(bool(_QUOTATION.search(sentence))),
        int(is_heading(sentence)),
    )


def is_heading(sentence: str) -> bool:
    """A short line without closing punctuation: a title, never quoted as context."""
    return len(sentence) < HEADING_MAX_CHARS and not _ENDS_LIKE_PROSE.search(sentence)


def cue_table(sentences: list[str]) -> np.ndarray:
    return np.array([sentence_cues(s) for s in sentences], dtype=CUE_DTYPE)
