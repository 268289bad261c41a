"""The tokenizer for English prose: lower-cased, dotted acronyms joined, stop words out, stemmed.

Documents (unit terms), BM25 and the question stage all read text through these functions, so a word
is the same term wherever it is met.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Sequence

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
    during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here
    here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its
    itself let's me more most mustn't my myself no nor not of off on once only or other ought our ours
    ourselves out over own same shan't she she'd she'll she's should shouldn't so some such than that
    that's the their theirs them themselves then there there's these they they'd they'll they're they've
    this those through to too under until up very was wasn't we we'd we'll we're we've were weren't what
    what's when when's where where's which while who who's whom why why's with won't would wouldn't you
    you'd you'll you're you've your yours yourself yourselves
    also just s t d ll m re ve
    """.split()
)
"""Common English function words (question words included); "us" is kept because it is also "U.S."."""

_ACRONYM = re.compile(r"\b(?:[a-z]\.){2,}")
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202 - PyStemmer has no type stubs
    import Stemmer

    return Stemmer.Stemmer("english")


def normalize(text: str) -> str:
    """Lower-case, unify quotes and width, and join dotted acronyms ("U.S." -> "us")."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    text = text.lower()
    return _ACRONYM.sub(lambda m: m.group().replace(".", "") + " ", text) if "." in text else text


def content_words(text: str) -> list[str]:
    """The words of `text` that carry meaning: lower-cased, no stop words, possessives dropped."""
    words = []
    for word in _TOKEN.findall(normalize(text)):
        if word in STOPWORDS:  # before the possessive goes: "let's" is a stop word, "let" is not
            continue
        word = word[:-2] if word.endswith("'s") else word
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            words.append(word)
    return words


def tokenize(text: str) -> list[str]:
    """BM25 terms: stemmed content words."""
    return stem(content_words(text))


def stem(words: Sequence[str]) -> list[str]:
    """BM25 terms of content words."""
    return _stemmer().stemWords(words)
