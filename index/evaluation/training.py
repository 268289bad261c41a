"""Question sets turned into training examples for the engine's own models, through the serving code.

Why here: a model trained on text cut or cleaned differently from what the index embeds learns the
wrong thing. So every example is built by the same calls the builder makes (`list_documents`,
`read_document`, `analyse`, `dense_texts`), and a question's gold units are found by the rule the
evaluation uses (`gold_units`: overlapping half of the sentence or half of the evidence). Nothing here
imports torch; `scripts/train_encoder.py` does the training.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.documents.analysis import analyse
from index.documents.corpus import Document, list_documents, read_document
from index.documents.readable import readable
from index.documents.units import MAX_SENTENCE_CHARS, dense_texts
from index.evaluation.evaluators import read_dev_questions
from index.evaluation.suite import EvalSet
from index.lexical.bm25 import LexicalIndex
from index.lexical.tokens import tokenize


@dataclass
class CorpusUnits:
    """Every sentence of one corpus as the index stores it: where it is and what each dense level embeds."""

    doc_names: list[str]
    doc_of: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    paragraph_of: np.ndarray
    """A corpus-wide paragraph number per sentence."""
    sentences: list[str]
    windows: list[str]
    paragraphs: list[str]
    """Indexed by `paragraph_of`."""
    headings: list[str]
    """Per sentence: the nearest Markdown heading above it in its document ('' when none)."""
    texts: dict[str, str] = field(default_factory=dict)


def read_corpus_units(corpus: Path, extensions: tuple[str, ...] = (".txt", ".md", ".markdown", ".rst")) -> CorpusUnits:
    """Split every readable document of `corpus` exactly as a rebuild would."""
    candidates, _ = list_documents(corpus, extensions)
    names, doc_of, starts, ends, paragraph_of = [], [], [], [], []
    sentences: list[str] = []
    windows: list[str] = []
    paragraphs: list[str] = []
    headings: list[str] = []
    texts: dict[str, str] = {}
    for candidate in candidates:
        document = read_document(candidate)
        if not isinstance(document, Document):
            continue
        analysis = analyse(document.text, MAX_SENTENCE_CHARS)
        if not analysis.sentences:
            continue
        units = analysis.units
        level = dense_texts(document.text, units["start"].tolist(), units["end"].tolist(), units["paragraph"].tolist())
        doc = len(names)
        names.append(document.path)
        texts[document.path] = document.text
        first_paragraph = len(paragraphs)
        local = {p: i for i, p in enumerate(dict.fromkeys(units["paragraph"].tolist()))}
        heading = ""
        for row, raw in zip(units, analysis.sentence_texts):
            if raw.lstrip().startswith("#"):
                heading = readable(raw)
            headings.append(heading)
            paragraph_of.append(first_paragraph + local[int(row["paragraph"])])
        doc_of.extend([doc] * len(units))
        starts.extend(units["start"].tolist())
        ends.extend(units["end"].tolist())
        sentences.extend(level["sentences"])
        windows.extend(level["windows"])
        paragraphs.extend(level["paragraphs"])
    return CorpusUnits(
        names, np.array(doc_of, dtype=np.int64), np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64),
        np.array(paragraph_of, dtype=np.int64), sentences, windows, paragraphs, headings, texts,
    )


def gold_sentences(units: CorpusUnits, evidence: tuple[str, ...]) -> np.ndarray:
    """The sentences that answer, by the evaluation's overlap rule (see `index.evaluation.evaluators.gold_units`)."""
    names = np.array(units.doc_names, dtype=object)[units.doc_of] if len(units.doc_of) else np.array([], dtype=object)
    gold = np.zeros(len(units.starts), dtype=bool)
    for text in evidence:
        for doc, body in units.texts.items():
            lo = body.find(text)
            while lo >= 0:
                hi = lo + len(text)
                overlap = np.minimum(units.ends, hi) - np.maximum(units.starts, lo)
                span = units.ends - units.starts
                gold |= (names == doc) & (overlap > 0) & ((overlap >= 0.5 * span) | (overlap >= 0.5 * (hi - lo)))
                lo = body.find(text, lo + 1)
    return np.flatnonzero(gold)


@dataclass
class LabelledQuestion:
    set_name: str
    question: str
    gold: np.ndarray
    """Indices into the set's `CorpusUnits.sentences`; empty for an unanswerable question."""


@dataclass
class LabelledSet:
    name: str
    units: CorpusUnits
    questions: list[LabelledQuestion]
    lexical: LexicalIndex | None = None

    def bm25_windows(self) -> LexicalIndex:
        """BM25 over the windows, built once: where hard negatives come from (they share the question's words)."""
        if self.lexical is None:
            self.lexical = LexicalIndex.build([tokenize(w) for w in self.units.windows])
        return self.lexical


def label_set(eval_set: EvalSet) -> LabelledSet:
    """A question set with each question's gold sentences located in its corpus; answerable questions
    whose evidence is not found are dropped (the set checker reports them)."""
    units = read_corpus_units(eval_set.corpus)
    labelled = []
    for question in read_dev_questions(eval_set.questions):
        gold = gold_sentences(units, question.evidence) if question.answerable else np.zeros(0, dtype=np.int64)
        if question.answerable and not len(gold):
            continue
        labelled.append(LabelledQuestion(eval_set.name, question.question, gold))
    return LabelledSet(eval_set.name, units, labelled)


def hard_negatives(labelled: LabelledSet, question: LabelledQuestion, depth: int, rng: random.Random) -> list[int]:
    """Sentences whose windows BM25 ranks near the top for the question but that neither answer it
    nor sit in a window with an answer: confusable, and wrong."""
    scores = labelled.bm25_windows().scores(tokenize(question.question))
    if not len(scores):
        return []
    order = np.argsort(-scores, kind="stable")
    near_gold = set()
    for g in question.gold.tolist():
        near_gold.update(range(g - 1, g + 2))
    picked = [int(i) for i in order[: depth * 3] if int(i) not in near_gold and scores[i] > 0][:depth]
    rng.shuffle(picked)
    return picked
