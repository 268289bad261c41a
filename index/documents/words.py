"""The documents' words, counted at build time: how often each occurs and how often capitalised.

The build counts them (`WordCounts`) and stores the table as `words.json` in the index; the answering
stage reads it (`WordTable`) to spell a question's words as the documents do
(`index/answering/spelling.py`). Counting knows nothing of questions or typos.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from index.lexical.tokens import content_words

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
"""A word as written, apostrophes inside it kept ("Klinger's")."""


class WordCounts:
    """The words of a corpus, counted as they are added: occurrences and capitalised occurrences."""

    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self.capitalised: Counter[str] = Counter()

    def add(self, text: str) -> None:
        for token, count in Counter(WORD.findall(text)).items():  # each spelling read once
            words = content_words(token)
            if len(words) == 1 and not words[0].isdigit():
                self.total[words[0]] += count
                self.capitalised[words[0]] += count if token[:1].isupper() else 0

    def update(self, other: "WordCounts") -> None:
        """Add another document's counts."""
        self.total.update(other.total)
        self.capitalised.update(other.capitalised)

    def encode(self) -> bytes:
        """As stored in the index: word -> [occurrences, capitalised], sorted so identical corpora give
        identical files."""
        table = {word: [count, self.capitalised[word]] for word, count in sorted(self.total.items())}
        return json.dumps(table, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class WordTable:
    """One index version's `words.json`: word -> [occurrences, capitalised occurrences], read on first
    use (most questions have no word the documents lack). Threads may share it: a race only reads the
    file twice."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._counts: dict[str, list[int]] | None = None

    @property
    def counts(self) -> dict[str, list[int]]:
        if self._counts is None:
            self._counts = read_words(self.path)
        return self._counts


def read_words(path: Path) -> dict[str, list[int]]:
    """The words table of an index; an unreadable or malformed one (its checksum is checked when the
    index is opened, so only a forged file gets here) gives no table: questions are answered as typed."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    valid = isinstance(table, dict) and all(
        isinstance(row, list) and len(row) == 2 and all(type(n) is int for n in row) for row in table.values()
    )
    return table if valid else {}
