"""Planning a question costs the same whatever the number of files: file-name words are found by the
question word's own prefixes, never by walking the corpus's files."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from index.answering.features import file_words_named, plan_query


def _names_file(word: str, name_word: str) -> bool:
    """The rule as first written: a walk over every file-name word."""
    return word == name_word or (len(name_word) >= 4 and word.startswith(name_word))


@given(st.text("abcr", max_size=9), st.sets(st.text("abcr", min_size=1, max_size=7), max_size=30))
def test_prefix_lookup_finds_exactly_the_file_words_the_walk_finds(word, file_words):
    assert sorted(file_words_named(word, file_words)) == sorted(w for w in file_words if _names_file(word, w))


class _NoWalking(list):
    def __iter__(self):
        raise AssertionError("planning walked every file")


class _NoWalkingDict(dict):
    def __iter__(self):
        raise AssertionError("planning walked every file")

    def items(self):
        raise AssertionError("planning walked every file")


def test_planning_never_walks_the_files(engine):
    index = engine.searcher.index
    blind = dataclasses.replace(index, doc_name_terms=_NoWalking(index.doc_name_terms),
                                doc_reference_words=_NoWalkingDict(index.doc_reference_words))
    plan = plan_query(blind, "what did the herald blogger say about Klinger and the NIS?")
    assert plan.referenced_docs, "a file-name word still names its document"
