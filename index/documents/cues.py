"""What a sentence offers an asker, read once at build time: numbers, dates, reasons, names, quotations,
and whether it is a heading.

The ranker weighs these against the question's answer type ("how many" wants a number); storing them
as one small array keeps regular expressions off the answering path.
"""

from __future__ import annotations

import re

import numpy as np

# What a sentence offers and what a question asks for are read with the same patterns: a sentence
# has a number cue when NUMBER matches it, and the question stage (index/answering/question.py)
# checks a "how many" answer with the same NUMBER.
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    "seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|"
    "million|billion|trillion|dozen|dozens|hundreds|thousands|millions|half|once|twice|several"
)
NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|tomorrow|tonight"
DATE = re.compile(
    rf"\b(?:1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b(?:{MONTHS}|{DAYS}|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b"
    r"|\b(?:century|centuries|decade|decades|spring|summer|autumn|fall|winter|week|weeks|month|months|year|years"
    r"|morning|evening|night|noon|midnight)\b|\b(?:last|next|this|earlier|later)\s+\w+",
    re.IGNORECASE,
)

REASON = re.compile(
    r"\b(?:because|since|due to|owing to|thanks to|in order to|so that|so as to|as a way to|as a means|aimed at"
    r"|in an effort to|to ensure|reasons?|why|stems? from|caused|led to|leads to|result|therefore|thus|hence"
    r"|motivat\w*|purpose|concerned|worried|fear\w*)\b",
    re.IGNORECASE,
)

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

_QUOTATION = re.compile("[\"“”]")
_ENDS_LIKE_PROSE = re.compile(r"[.!?:;\"”’)][*_]*\s*$")
"""Closing punctuation, with any Markdown emphasis closed after it ("**Install.**")."""
_MARKDOWN_HEADING = re.compile(r"#{1,6}\s")
_LIST_ITEM = re.compile(r"\s*(?:[-*+•]|\d{1,3}[.)])\s")
HEADING_MAX_CHARS = 100
TITLE_MIN_LETTERS = 0.6
"""Share of a title's characters that are letters or spaces: datelines and figures are not titles."""
TITLE_MAX_WORDS = 12
_SENTENCE_PUNCTUATION = re.compile(r"[.!?,;]")
_CODE = re.compile(r"[`/\\\[\]{}<>=_|]")
"""Characters of code, paths and tables, which titles do not have."""


def is_heading(sentence: str) -> bool:
    """A Markdown heading, or a short title-like line (mostly words, no closing punctuation, no code,
    not a list item): never quoted as context, and what it heads answers for it."""
    if _MARKDOWN_HEADING.match(sentence):
        return True
    if len(sentence) >= HEADING_MAX_CHARS or _ENDS_LIKE_PROSE.search(sentence) or _CODE.search(sentence):
        return False
    if _LIST_ITEM.match(sentence):
        return False
    letters = sum(char.isalpha() or char.isspace() for char in sentence)
    return letters >= TITLE_MIN_LETTERS * len(sentence)


_SEPARATOR = "\x00"
"""Joins the sentences for one pass of each pattern: no pattern matches it or spans it (`\\s` does not
match it), and `\\b` sees it as it sees the end of a string."""
_NAME_INSIDE = re.compile(r"(?<!^)(?<!\x00)(?<![.!?]\s)\b[A-Z][a-z]+")
"""A capitalised word that does not start its sentence (nor follow a full stop)."""


def cue_table(sentences: list[str]) -> np.ndarray:
    """One row of `CUE_DTYPE` per sentence: whether it holds a number, a date, a reason word, quotation
    marks, whether it is a heading, and how many capitalised words not starting it (at most 3). Each
    pattern runs once over all the sentences: a document of a hundred thousand one-word lines costs
    about what prose of its size does."""
    table = np.zeros(len(sentences), dtype=CUE_DTYPE)
    if not sentences:
        return table
    joined = _SEPARATOR.join(s.replace(_SEPARATOR, "\x01") for s in sentences)  # a NUL of the text stays a non-word
    starts = np.cumsum([0] + [len(s) + 1 for s in sentences[:-1]])

    def rows(pattern: re.Pattern[str]) -> np.ndarray:
        return np.searchsorted(starts, [m.start() for m in pattern.finditer(joined)], side="right") - 1

    for field, pattern in (("number", NUMBER), ("date", DATE), ("reason", REASON), ("quotation", _QUOTATION)):
        table[field][rows(pattern)] = 1
    table["names"] = np.minimum(np.bincount(rows(_NAME_INSIDE), minlength=len(sentences)), 3)
    table["heading"] = [is_heading(s) for s in sentences]
    return table


def is_section_title(sentence: str) -> bool:
    """A heading that names the text under it: a Markdown heading, or a short heading with no sentence
    punctuation at all (a line broken mid-sentence, "... near Montenegro.:12", is no title)."""
    if _MARKDOWN_HEADING.match(sentence):
        return True
    return (
        is_heading(sentence)
        and len(sentence.split()) <= TITLE_MAX_WORDS
        and not _SENTENCE_PUNCTUATION.search(sentence)
        and sentence.count("(") == sentence.count(")")  # "Oxygen gas (O" / "2) can be toxic": broken
    )
