"""Acronyms a corpus implies: "North Korea" -> "nk", "National Intelligence Service" -> "nis".

People abbreviate names in questions that the documents spell out. The table is learned from the
documents themselves (runs of capitalised words), so it fits whatever corpus is indexed, and it is used
only for question words that no document contains.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Iterable

_NAME_RUN = re.compile(
    r"(?<![\w\-’'])[A-Z][\w\-’']*+(?:\s++(?:(?:of|for|and|the|on|de)\s++)*+[A-Z][\w\-’']*+){1,5}"
)
"""Starts only at the start of a word and never backtracks into one: "A-A-A-..." is read once."""
_FUNCTION_WORDS = frozenset({"of", "for", "and", "the", "on", "de"})
MIN_LETTERS, MAX_LETTERS = 2, 6


def _initials(phrase: str) -> str:
    return "".join(word[0].lower() for word in phrase.split() if word not in _FUNCTION_WORDS)


def count_name_phrases(text: str) -> Counter[str]:
    """How often each run of capitalised words appears, with its sub-runs ("Korea Herald" in
    "The Korea Herald")."""
    counts: Counter[str] = Counter()
    for match in _NAME_RUN.finditer(text):
        words = match.group().split()
        for lo in range(len(words)):
            for hi in range(lo + 2, len(words) + 1):
                part = words[lo:hi]
                if part[0] in _FUNCTION_WORDS or part[-1] in _FUNCTION_WORDS:
                    continue
                counts[" ".join(part)] += 1
    return counts


def build_table(phrase_counts: Iterable[Counter[str]]) -> dict[str, str]:
    """initials -> the most frequent phrase with those initials."""
    total: Counter[str] = Counter()
    for counts in phrase_counts:
        total.update(counts)
    by_initials: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for phrase, count in total.items():
        letters = _initials(phrase)
        if MIN_LETTERS <= len(letters) <= MAX_LETTERS:
            by_initials[letters].append((count, phrase))
    return {letters: max(options)[1] for letters, options in by_initials.items()}
