"""Spelling: a question's words as the documents spell them.

People type "Klinger" for "Klingner", "Milosevic" for "Milošević", "declaraton" for "declaration".
BM25 matches exact terms and the embedding of a misspelt name is not the name's, so a word the
documents never use is replaced by the word they most likely mean: the same word without accents, or,
for a word of at least `TYPO_MIN_LENGTH` letters, the most frequent word of the documents one typo away.
A word of the language is no typo: with the embedding model's WordPiece vocabulary as a dictionary,
"former" is never read as "formed" nor "victor" as "victory", while "Reigion" (no word) may become
"religion". Without a dictionary (a model with no vocab.txt), a capitalised word may only become a
name: "Victor" is not "victory", because the documents do not write "victory" with a capital.

The documents' words, how often each occurs and how often capitalised, are collected at build time
(`words.json` in the index) and read on the first question that needs them.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from pathlib import Path
from typing import Mapping

from index.documents.words import WORD, WordTable  # noqa: F401 - WORD: the question stage reads words as the build counted them

TYPO_MIN_LENGTH = 6
"""Shorter words are matched exactly: too many short words are one typo apart ("yoon", "moon")."""
NAME_SHARE = 0.25
"""Share of capitalised occurrences that makes a word a name (sentence starts alone stay far below)."""


def fold_accents(word: str) -> str:
    """The word without diacritics."""
    return "".join(char for char in unicodedata.normalize("NFKD", word) if not unicodedata.combining(char))


def one_typo_apart(a: str, b: str) -> bool:
    """Whether two different words differ by one inserted, deleted or changed letter, or by two
    adjacent letters swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    start = 0
    while start < len(a) and a[start] == b[start]:
        start += 1
    if len(a) < len(b):
        return a[start:] == b[start + 1:]
    if a[start + 1:] == b[start + 1:]:
        return True
    return a[start + 2:] == b[start + 2:] and a[start:start + 2] == b[start:start + 2][::-1]


class Speller:
    """The documents' words (lower-cased content words, as `index.lexical.tokens.content_words` gives them)
    with [occurrences, capitalised occurrences], from a mapping or from the index's `words.json`, read
    on first use (most questions have no word the documents lack); tables for accents and typos are
    built on first use too. Threads may share it: a race only computes the same table twice."""

    def __init__(self, counts: Mapping[str, list[int]] | WordTable | None = None, path: Path | None = None) -> None:
        self._source = WordTable(path) if path is not None else counts
        self._accentless: dict[str, str] | None = None
        self._by_length: dict[int, list[tuple[str, str]]] | None = None

    @property
    def counts(self) -> Mapping[str, list[int]]:
        source = self._source
        return source.counts if isinstance(source, WordTable) else source or {}

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def is_name(self, word: str) -> bool:
        """Whether the documents write the word capitalised often enough to be a name or part of one
        ("Cathedral" in "St Paul's Cathedral"), not just at the start of a sentence."""
        count, capitalised = self.counts.get(word, (0, 0))
        return count > 0 and capitalised >= NAME_SHARE * count

    def correct(self, word: str, name: bool = False, typos: bool = True) -> str | None:
        """The documents' word for `word` (itself when they use it), or None when none is close. A
        `name` may only become a name of the documents; without `typos`, only accents are forgiven (no
        pass over the words)."""
        counts = self.counts
        if word in counts:
            return word
        folded = fold_accents(word)
        if folded in counts:
            return folded
        accentless = self._accentless_table()
        if folded in accentless:
            return accentless[folded]
        if len(folded) < TYPO_MIN_LENGTH or not typos:
            return None
        by_length = self._length_table()
        near = [
            other for size in (len(folded) - 1, len(folded), len(folded) + 1)
            for plain, other in by_length.get(size, ())
            if one_typo_apart(folded, plain) and (not name or self.is_name(other))
        ]
        return max(near, key=lambda other: (counts[other][0], other), default=None)

    def _accentless_table(self) -> dict[str, str]:
        if self._accentless is None:
            table: dict[str, str] = {}
            for word, count in self.counts.items():
                folded = fold_accents(word)
                best = table.get(folded)
                if folded != word and (best is None or count[0] > self.counts[best][0]):
                    table[folded] = word
            self._accentless = table
        return self._accentless

    def _length_table(self) -> dict[int, list[tuple[str, str]]]:
        """(word without accents, word) by the length of the former: "codoba" is one typo from "córdoba"."""
        if self._by_length is None:
            table: dict[int, list[tuple[str, str]]] = {}
            for word in self.counts:
                plain = fold_accents(word)
                table.setdefault(len(plain), []).append((plain, word))
            self._by_length = table
        return self._by_length


_WHOLE_WORD = re.compile(r"[a-z]{2,}")


def model_dictionary(model_folder: Path | None) -> frozenset[str] | None:
    """The whole words of a WordPiece model's vocabulary (`vocab.txt`, about 21,000 for MiniLM's),
    lower-cased: words of the language, which a typo fix must leave alone. None when the model has no
    such file (SentencePiece models, hub names not downloaded)."""
    if model_folder is None:
        return None
    try:
        lines = (model_folder / "vocab.txt").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    words = frozenset(line for line in lines if _WHOLE_WORD.fullmatch(line))
    return words or None


_SPELLERS: "weakref.WeakKeyDictionary[WordTable, Speller]" = weakref.WeakKeyDictionary()


def speller_of(words: WordTable) -> Speller:
    """The speller of one index version's words, made on first use and kept while the version is
    served (its tables are built once per version, not once per question)."""
    speller = _SPELLERS.get(words)
    if speller is None:
        speller = _SPELLERS[words] = Speller(words)
    return speller
