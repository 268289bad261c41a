"""Evaluators: the engine's quality measured the way the project reports it.

* Dev questions (JSON lines with verbatim gold evidence): a hit is a quote of at most 800 characters
  covering at least half of a gold evidence span; evidence is located in the indexed documents by
  searching its text, so the file names in the question file need not match the corpus.
* SQuAD as open retrieval: every article becomes one document (paragraphs separated by blank lines);
  a hit is a quote containing a gold answer (SQuAD's answer normalisation).
* Typos: any of the above with one typo (a letter dropped, swapped, changed or added) in each
  question's longest word, seeded: how much a slip of the finger costs.
* Off-topic questions: SQuAD questions (Beyoncé, Chopin, New York...) asked of a corpus about something
  else; every answer is a false one, and the share abstained measures how well the engine knows
  what its documents do not cover.

Used by `scripts/evaluate.py` and `scripts/train_ranker.py`; nothing here is on the answering path.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from index.answer import Answer

HIT_MAX_CHARS = 800
HIT_MIN_COVER = 0.5


@dataclass(frozen=True)
class DevQuestion:
    id: str
    question: str
    evidence: tuple[str, ...]

    @property
    def answerable(self) -> bool:
        return bool(self.evidence)


TYPO_MIN_WORD = 7
"""Only words this long get a typo: a short word with one is often another word."""


def with_typo(question: str, rng: random.Random) -> str:
    """The question with one typo inside its longest word of at least `TYPO_MIN_WORD` letters (the
    first and last letters kept), or unchanged when it has none."""
    words = [m for m in re.finditer(r"[^\W\d_]+", question) if len(m.group()) >= TYPO_MIN_WORD]
    if not words:
        return question
    match = max(words, key=lambda m: len(m.group()))
    word, at = match.group(), rng.randrange(1, len(match.group()) - 2)
    letter = rng.choice([c for c in "aeiourstnl" if c != word[at]])
    typo = rng.choice((
        word[:at] + word[at + 1:],  # dropped
        word[:at] + word[at + 1] + word[at] + word[at + 2:],  # swapped
        word[:at] + letter + word[at + 1:],  # changed
        word[:at] + letter + word[at:],  # added
    ))
    return question[:match.start()] + typo + question[match.end():]


def read_dev_questions(path: Path) -> list[DevQuestion]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            questions.append(DevQuestion(str(raw.get("id", number)), raw["question"], tuple(raw.get("evidence") or ())))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a question record ({exc}); expected "
                             '{"question": str, "evidence": [str, ...]}') from exc
    return questions


def locate(evidence: str, documents: dict[str, str]) -> list[tuple[str, int, int]]:
    """Every place the evidence text occurs in the documents, as (doc, start, end)."""
    spans = []
    for doc, text in documents.items():
        start = text.find(evidence)
        while start >= 0:
            spans.append((doc, start, start + len(evidence)))
            start = text.find(evidence, start + 1)
    return spans


def gold_units(index, evidence: tuple[str, ...], documents: dict[str, str]) -> np.ndarray:  # noqa: ANN001 - LoadedIndex
    """The indexed sentences that answer: those overlapping a gold evidence span by half of the
    sentence or half of the span (labels for training the ranker on question sets)."""
    starts, ends = index.units["start"].astype(np.int64), index.units["end"].astype(np.int64)
    names = np.array(index.doc_names)[index.doc_of]
    gold = np.zeros(len(starts), dtype=bool)
    for doc, lo, hi in (span for text in evidence for span in locate(text, documents)):
        overlap = np.minimum(ends, hi) - np.maximum(starts, lo)
        gold |= (names == doc) & (overlap > 0) & ((overlap >= 0.5 * (ends - starts)) | (overlap >= 0.5 * (hi - lo)))
    return np.flatnonzero(gold)


def covers(quote_doc: str, start: int, end: int, span: tuple[str, int, int]) -> bool:
    doc, lo, hi = span
    return quote_doc == doc and end - start <= HIT_MAX_CHARS and min(end, hi) - max(start, lo) >= HIT_MIN_COVER * (hi - lo)


@dataclass
class DevReport:
    answerable: int = 0
    unanswerable: int = 0
    hit1: int = 0
    hit3: int = 0
    reciprocal_rank: float = 0.0
    abstained: int = 0
    refused: int = 0
    quotes: int = 0
    verbatim: int = 0
    lengths: list[int] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    missing_evidence: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        n = max(self.answerable, 1)
        return [
            f"answerable questions        {self.answerable}",
            f"hit@1                       {self.hit1 / n:.3f}  ({self.hit1}/{self.answerable})",
            f"hit@3                       {self.hit3 / n:.3f}  ({self.hit3}/{self.answerable})",
            f"MRR                         {self.reciprocal_rank / n:.3f}",
            f"unanswerable abstained      {self.abstained}/{self.unanswerable}",
            f"answerable wrongly refused  {self.refused}/{self.answerable}",
            f"verbatim quotes             {self.verbatim}/{self.quotes}"
            f" ({self.verbatim / max(self.quotes, 1):.3f})",
            f"median quote length         {statistics.median(self.lengths) if self.lengths else 0:.0f} characters",
            f"not hit at 1                {' '.join(self.misses) or '-'}",
        ]


def evaluate_dev(
    questions: list[DevQuestion], documents: dict[str, str], answer: Callable[[str], Answer]
) -> DevReport:
    """Score answers to the dev questions; `documents` maps corpus-relative paths to their text."""
    report = DevReport()
    for question in questions:
        result = answer(question.question)
        for quote in result.quotes:
            report.quotes += 1
            report.verbatim += documents.get(quote.doc, "")[quote.start:quote.end] == quote.text
            report.lengths.append(len(quote.text))
        if not question.answerable:
            report.unanswerable += 1
            report.abstained += not result.answered
            continue
        report.answerable += 1
        spans = [s for ev in question.evidence for s in locate(ev, documents)]
        if not spans:
            report.missing_evidence.append(question.id)
        if not result.answered:
            report.refused += 1
        hits = [any(covers(q.doc, q.start, q.end, s) for s in spans) for q in result.quotes[:3]]
        report.hit1 += bool(hits[:1] and hits[0])
        report.hit3 += any(hits)
        report.reciprocal_rank += next((1 / (r + 1) for r, h in enumerate(hits) if h), 0.0)
        if not (hits[:1] and hits[0]):
            report.misses.append(question.id + ("@3" if any(hits) else ""))
    return report


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    doc: str
    answers: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]


def squad_documents(squad_json: Path) -> tuple[dict[str, str], list[SquadQuestion]]:
    """SQuAD articles as documents (file name from the title) and their questions with gold spans
    as character offsets into the document."""
    data = json.loads(squad_json.read_text(encoding="utf-8"))
    documents: dict[str, str] = {}
    questions = []
    for article in data["data"]:
        name = re.sub(r"[^\w\-]+", "_", article["title"]).strip("_")[:100] + ".txt"
        offset = 0
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                questions.append(SquadQuestion(
                    qa["id"], qa["question"], name,
                    tuple(a["text"] for a in qa["answers"]),
                    tuple((offset + a["answer_start"], offset + a["answer_start"] + len(a["text"])) for a in qa["answers"]),
                ))
            offset += len(paragraph["context"]) + 2
        documents[name] = "\n\n".join(p["context"] for p in article["paragraphs"])
    return documents, questions


def write_documents(documents: dict[str, str], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def sample(items: list, size: int | None, seed: int = 0) -> list:
    """A seeded sample in the original order (all items when size is None or too big)."""
    if size is None or size >= len(items):
        return list(items)
    chosen = sorted(random.Random(seed).sample(range(len(items)), size))
    return [items[i] for i in chosen]


def normalize_answer(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation or articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


@dataclass
class SquadReport:
    questions: int = 0
    top1: int = 0
    top5: int = 0
    refused: int = 0
    lengths: list[int] = field(default_factory=list)

    def lines(self) -> list[str]:
        n = max(self.questions, 1)
        return [
            f"questions                   {self.questions}",
            f"answer in top-1 quote       {self.top1 / n:.3f}",
            f"answer in top-5 quotes      {self.top5 / n:.3f}",
            f"refused (abstained)         {self.refused}",
            f"median top quote length     {statistics.median(self.lengths) if self.lengths else 0:.0f} characters",
        ]


def evaluate_squad(questions: Iterable[SquadQuestion], answer: Callable[[str], Answer]) -> SquadReport:
    """Quotes are judged whether the engine abstained or not (closest passage when it did)."""
    report = SquadReport()
    for question in questions:
        result = answer(question.question)
        quotes = result.quotes or ([result.closest] if result.closest else [])
        gold = [normalize_answer(a) for a in question.answers]
        hits = [any(g in normalize_answer(q.text) for g in gold) for q in quotes[:5]]
        report.questions += 1
        report.top1 += bool(hits[:1] and hits[0])
        report.top5 += any(hits)
        report.refused += not result.answered
        if quotes:
            report.lengths.append(len(quotes[0].text))
    return report


@dataclass
class OffTopicReport:
    questions: int = 0
    abstained: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    answered: list[str] = field(default_factory=list)

    def lines(self, examples: int = 5) -> list[str]:
        n = max(self.questions, 1)
        lines = [
            f"off-topic questions         {self.questions}",
            f"abstained                   {self.abstained / n:.3f}  ({self.abstained}/{self.questions})",
        ]
        lines += [f"  {reason:<40s}  {count}" for reason, count in sorted(self.reasons.items(), key=lambda r: -r[1])]
        lines += [f"  answered: {question}" for question in self.answered[:examples]]
        return lines


def evaluate_off_topic(questions: Iterable[str], answer: Callable[[str], Answer]) -> OffTopicReport:
    """Questions the corpus cannot answer: count abstentions and why (the note, names left out)."""
    report = OffTopicReport()
    for question in questions:
        result = answer(question)
        report.questions += 1
        if result.answered:
            report.answered.append(question)
            continue
        report.abstained += 1
        reason = result.notes[-1] if result.notes else "-"
        reason = "The documents never mention ..." if reason.startswith("The documents never mention") else reason
        report.reasons[reason] = report.reasons.get(reason, 0) + 1
    return report


@dataclass(frozen=True)
class FollowUp:
    """Two turns of a conversation: a question, then a follow-up that needs it, with the gold
    evidence of the follow-up read in context."""

    id: str
    corpus: str
    first: str
    follow_up: str
    evidence: tuple[str, ...]
    kind: str
    split: str


def read_follow_ups(path: Path) -> list[FollowUp]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            items.append(FollowUp(raw["id"], raw["corpus"], raw["first"], raw["follow_up"],
                                  tuple(e["text"] for e in raw["evidence"]), raw.get("kind", ""), raw.get("split", "tune")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a follow-up item ({exc})") from exc
    return items


@dataclass
class FollowUpReport:
    """hit@1 / hit@3 of follow-ups answered with the previous question carried, and alone."""

    asked: int = 0
    carried: int = 0
    """Follow-ups the engine read in context (the rest it judged to stand on their own)."""
    hit1: dict[str, int] = field(default_factory=lambda: {"with": 0, "without": 0})
    hit3: dict[str, int] = field(default_factory=lambda: {"with": 0, "without": 0})
    readings: list[str] = field(default_factory=list)

    def add(self, mode: str, hits: list[bool]) -> None:
        self.hit1[mode] += bool(hits[:1] and hits[0])
        self.hit3[mode] += any(hits)


def evaluate_follow_ups(
    items: list[FollowUp], documents: dict[str, str], answer: Callable[[str, str | None], Answer]
) -> FollowUpReport:
    """Answer each follow-up twice: after its first question (`answer(follow_up, first)`) and alone."""
    report = FollowUpReport()
    for item in items:
        spans = [s for ev in item.evidence for s in locate(ev, documents)]
        report.asked += 1
        for mode, after in (("with", item.first), ("without", None)):
            result = answer(item.follow_up, after)
            if mode == "with":
                report.carried += bool(result.reading)
                report.readings.append(f"{item.id} [{item.kind}] {item.follow_up!r} -> {result.reading or '(alone)'!r}")
            report.add(mode, [any(covers(q.doc, q.start, q.end, s) for s in spans) for q in result.quotes[:3]])
    return report
