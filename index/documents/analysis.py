"""Everything the build learns from one document's text, in one pass per step.

Each step is named in `TEXT_STEPS` and timed, so `scripts/bench_adversarial.py` can show that every one
of them stays linear on hostile text (runs of punctuation, hyphen chains, one giant line) and the
builder and the benchmark run exactly the same code.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from index.documents.acronyms import count_name_phrases
from index.documents.cues import cue_table
from index.documents.readable import readable
from index.documents.sentences import Sentence, split_sentences
from index.documents.units import UNIT_DTYPE
from index.documents.words import WordCounts
from index.lexical.tokens import tokenize

TEXT_STEPS = ("sentences", "units", "terms", "words", "cues", "names")
"""The steps in the order they run: split, unit rows, BM25 terms, spelling counts, cues, name phrases."""


@dataclass
class DocumentAnalysis:
    """One document's sentences and what the index stores about them."""

    sentences: list[Sentence]
    units: np.ndarray
    """Rows of `UNIT_DTYPE`, with document 0 and byte offsets from the document's start."""
    sentence_texts: list[str]
    terms: list[list[str]]
    words: WordCounts
    cues: np.ndarray
    names: Counter[str]
    seconds: dict[str, float] = field(default_factory=dict)
    """Time each step of `TEXT_STEPS` took."""


def analyse(text: str, max_sentence_chars: int) -> DocumentAnalysis:
    """Split `text` into sentences and derive the unit rows, terms, word counts, cues and names."""
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[step] = now - clock
        clock = now

    sentences = split_sentences(text, max_chars=max_sentence_chars)
    lap("sentences")
    units, sentence_texts = unit_rows(text, sentences)
    lap("units")
    terms = [tokenize(readable(t)) for t in sentence_texts]
    lap("terms")
    words = WordCounts()
    words.add(text)
    lap("words")
    cues = cue_table(sentence_texts)
    lap("cues")
    names = count_name_phrases(text)
    lap("names")
    return DocumentAnalysis(sentences, units, sentence_texts, terms, words, cues, names, seconds)


def unit_rows(text: str, sentences: list[Sentence]) -> tuple[np.ndarray, list[str]]:
    """The unit table rows of one document (document 0, byte offsets from its start) and their texts."""
    texts = [text[s.start:s.end] for s in sentences]
    byte_starts, byte_ends = [], []
    byte_pos = char_pos = 0
    for sentence, sentence_text in zip(sentences, texts):
        byte_pos += len(text[char_pos:sentence.start].encode("utf-8"))
        byte_starts.append(byte_pos)
        byte_pos += len(sentence_text.encode("utf-8"))
        byte_ends.append(byte_pos)
        char_pos = sentence.end
    units = np.zeros(len(sentences), dtype=UNIT_DTYPE)
    units["start"] = [s.start for s in sentences]
    units["end"] = [s.end for s in sentences]
    units["byte_start"] = byte_starts
    units["byte_end"] = byte_ends
    units["paragraph"] = [s.paragraph for s in sentences]
    units["line"] = [s.line for s in sentences]
    return units, texts
