"""Turning ranked sentences into quotes: widen each answering sentence with its neighbours while the
quote stays short, and never show the same text twice.

A sentence alone often lacks its subject ("..., he said.") or its continuation, so the best sentence
grows towards whichever neighbour the ranker scored higher, within its paragraph, while the quote
stays within `QUOTE_TARGET_CHARS` (the first step may reach `QUOTE_MAX_CHARS`). Headings and repeats
of text already quoted are never added as context. Sentences whose content words mostly repeat a sentence already quoted are skipped: the same
paragraph pasted twice in a document yields one quote.

A lead-in ("... as the report puts it:") says nothing by itself: it is quoted together with the
sentence it introduces, even across the paragraph break a block quote makes.
A heading says what its section is about but answers nothing: when it matches the question better
than the first sentence of its section, that sentence takes its score and is quoted under it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from index.answer import Quote
from index.documents.cues import is_section_title
from index.lexical.tokens import content_words
from index.storage.loaded import LoadedIndex

QUOTE_TARGET_CHARS = 400
QUOTE_MAX_CHARS = 800
DUPLICATE_OVERLAP = 0.8
"""Share of the smaller sentence's content words that makes two sentences the same text."""
LEAD_IN = re.compile(r"[:\uff1a]\s*$")
"""A sentence ending in a colon (ASCII or full-width) introduces the next one."""
LEAD_IN_TAIL_BYTES = 16
_CONTINUES = re.compile(r"[a-z0-9]")
"""A line starting in lower case or with a digit goes on with the line before."""
_NUMBERED = re.compile(r"\d{1,3}[.)]\s")


@dataclass(frozen=True)
class QuoteSpan:
    """A run of sentences `first..last` of one document, quoted for the sentence `focus`."""

    first: int
    last: int
    focus: int
    score: float


@dataclass(frozen=True)
class Ranking:
    """Candidates and their scores once headings have passed theirs on to their sections."""

    ids: np.ndarray
    scores: np.ndarray
    headed: Mapping[int, int] = field(default_factory=dict)
    """First sentence of a section -> its heading, where the heading's match carried the sentence."""


def opens_section(index: LoadedIndex, unit: int) -> bool:
    """Whether a sentence is a section title on a line of its own directly followed by body text that
    starts afresh (not "2 will allow ..." after a line "Concentrated O": a sentence broken in two)."""
    if not index.cues["heading"][unit] or not index.same_doc_after[unit]:
        return False
    body = unit + 1
    if index.cues["heading"][body] or index.paragraph_of[body] == index.paragraph_of[unit]:
        return False
    text = index.sentence(body)
    if _CONTINUES.match(text) and not _NUMBERED.match(text):
        return False
    return is_section_title(index.sentence(unit))


def rank_sections(index: LoadedIndex, ids: np.ndarray, scores: np.ndarray) -> Ranking:
    """Each heading's score passed to the first sentence of its section (added as a candidate when it
    was not one) where it is higher, or to what that sentence introduces when it is a lead-in; the
    heading itself falls to the weakest candidate's score."""
    if len(scores) == 0:
        return Ranking(ids, scores)
    position_of = {unit: position for position, unit in enumerate(ids.tolist())}
    floor = float(scores.min())
    new_ids, new_scores = ids.tolist(), scores.tolist()
    headed: dict[int, int] = {}
    for position, unit in enumerate(ids.tolist()):
        if not opens_section(index, unit):
            continue
        body, heading_score = unit + 1, float(scores[position])
        if is_lead_in(index, body):
            body += 1  # "## Setup / Run these commands: / ...": the section says what the lead-in introduces
        new_scores[position] = floor
        if body not in position_of:
            position_of[body] = len(new_ids)
            new_ids.append(body)
            new_scores.append(heading_score)
            headed[body] = unit
        elif heading_score > new_scores[position_of[body]]:
            new_scores[position_of[body]] = heading_score
            headed[body] = unit
    return Ranking(np.array(new_ids, dtype=ids.dtype), np.array(new_scores, dtype=np.float64), headed)


def is_lead_in(index: LoadedIndex, unit: int) -> bool:
    """Whether a sentence ends in a colon and its document goes on after it (reads only its last bytes)."""
    if not index.same_doc_after[unit]:
        return False
    row = index.units[unit]
    start, end = int(row["byte_start"]), int(row["byte_end"])
    tail = index.text[max(start, end - LEAD_IN_TAIL_BYTES):end].decode("utf-8", errors="ignore")
    return LEAD_IN.search(tail) is not None


def choose_spans(
    index: LoadedIndex, ids: np.ndarray, scores: np.ndarray, k: int, headed: Mapping[int, int] | None = None
) -> list[QuoteSpan]:
    """Up to k non-overlapping, non-duplicate quote spans, best first; a sentence in `headed` is quoted
    under its heading (see `rank_sections`)."""
    headed = headed or {}
    score_of = dict(zip(ids.tolist(), scores.tolist()))
    used: set[int] = set()
    seen: list[frozenset[str]] = []
    spans: list[QuoteSpan] = []
    for position in np.argsort(-scores, kind="stable").tolist():
        unit = int(ids[position])
        if unit in used:
            continue
        words = frozenset(content_words(index.sentence(unit)))
        if any(_duplicates(words, other) for other in seen):
            continue
        first, last = _widen(index, unit, score_of, used, seen, headed.get(unit))
        used.update(range(first, last + 1))
        seen.extend(frozenset(content_words(index.sentence(u))) for u in range(first, last + 1))
        spans.append(QuoteSpan(first, last, unit, float(score_of[unit])))
        if len(spans) >= k:
            break
    return spans


def _duplicates(a: frozenset[str], b: frozenset[str]) -> bool:
    return len(a & b) >= DUPLICATE_OVERLAP * max(1, min(len(a), len(b)))


def _quote_chars(index: LoadedIndex, first: int, last: int) -> int:
    return int(index.units["end"][last] - index.units["start"][first])


def _widen(
    index: LoadedIndex,
    unit: int,
    score_of: dict[int, float],
    used: set[int],
    seen: list[frozenset[str]],
    heading: int | None = None,
) -> tuple[int, int]:
    first = last = unit
    paragraph = index.paragraph_of[unit]

    def usable(neighbour: int, introduced: bool = False) -> bool:
        """In the same paragraph (or joined to the span by a lead-in), not quoted yet, not a heading
        (unless so joined), not a repeat of quoted text."""
        if neighbour in used:
            return False
        if not introduced and (index.paragraph_of[neighbour] != paragraph or index.cues["heading"][neighbour]):
            return False
        words = frozenset(content_words(index.sentence(neighbour)))
        return not any(_duplicates(words, other) for other in seen)

    if heading is not None and heading not in used and _quote_chars(index, heading, unit) <= QUOTE_MAX_CHARS:
        first = heading  # the quote starts at the heading and grows only forwards
    start, grows_back = first, first == unit
    while True:
        options = []
        introduced = is_lead_in(index, last)
        if introduced and usable(last + 1, introduced=True):
            options.append((float("inf"), first, last + 1))
        introducing = grows_back and index.same_doc_before[first] and is_lead_in(index, first - 1)
        if introducing and usable(first - 1, introduced=True):
            options.append((float("inf"), first - 1, last))
        elif grows_back and index.same_doc_before[first] and usable(first - 1):
            options.append((score_of.get(first - 1, -1e9), first - 1, last))
        if not introduced and index.same_doc_after[last] and usable(last + 1):
            options.append((score_of.get(last + 1, -1e9), first, last + 1))
        if not options:
            break
        _, new_first, new_last = max(options)
        length = _quote_chars(index, new_first, new_last)
        first_step = first == start and last == unit
        if length > QUOTE_TARGET_CHARS and not (first_step and length <= QUOTE_MAX_CHARS):
            break
        first, last = new_first, new_last
    if last > unit and is_lead_in(index, last):
        last -= 1  # the sentence it introduces did not fit: a quote does not end on a lead-in
    if _quote_chars(index, first, last) > QUOTE_MAX_CHARS:
        first = last = unit
    return first, last


def to_quote(index: LoadedIndex, span: QuoteSpan, score: float) -> Quote:
    """The verbatim quote for a span: text is exactly document[start:end]."""
    units = index.units
    first, last, focus = units[span.first], units[span.last], units[span.focus]
    text = index.span_text(span.first, span.last)
    focus_start = int(focus["start"] - first["start"])
    where = index.where(int(first["doc"]), int(first["start"]))
    page = int(where[1]) if where and where[0] == "page" and where[1].isdigit() else None
    return Quote(
        page=page,
        section=where[1] if where and where[0] == "section" else None,
        doc=index.doc_names[int(first["doc"])],
        start=int(first["start"]),
        end=int(last["end"]),
        text=text,
        score=score,
        line=int(first["line"]),
        paragraph=int(first["paragraph"]) + 1,
        focus=(focus_start, focus_start + int(focus["end"] - focus["start"])),
    )
