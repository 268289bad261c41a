"""Follow-ups read in the context of the question before them: by English syntax, each reading shown."""

from __future__ import annotations

import pytest

from index.answering.followup import read_follow_up


@pytest.mark.parametrize("previous, follow_up, reading", [
    ("what did the mayor promise?", "why?", "why did the mayor promise"),
    ("how many bridges did the council close?", "when?", "when did the council close"),
    ("What did Mayor Lindqvist promise?", "and what did she say about the budget?", "what did Mayor Lindqvist say about the budget"),
    ("What did Mayor Lindqvist promise?", "why did her office object", "why did Mayor Lindqvist's office object"),
    ("when was the harbour treaty signed?", "who signed it?", "who signed the harbour treaty"),
    ("what is a lifetime in rust?", "can you show an example of it", "can you show an example of a lifetime in rust"),
    ("what does the guide say about ownership?", "what about borrowing?", "what does the guide say about borrowing"),
    ("what did the council decide?", "and in 2019?", "what did the council decide in 2019"),
    ("hows the warranty on phones?", "what about laptops", "how is the warranty on laptops"),
])
def test_follow_ups_become_questions_of_their_own(previous, follow_up, reading):
    assert read_follow_up(previous, follow_up) == reading


@pytest.mark.parametrize("follow_up", ["who is the harbour master?", "what did Lindqvist promise in 2019?", "   "])
def test_a_question_that_stands_alone_is_left_as_it_is(follow_up):
    assert read_follow_up("what did the mayor promise?", follow_up) is None


def test_the_engine_answers_a_follow_up_in_context_and_says_how_it_read_it(engine):
    answer = engine.answer("why?", after="what did Abrams warn?")
    assert answer.reading == "why did Abrams warn" and answer.notes[0] == "Reading this as: why did Abrams warn"
    assert answer.answered and answer.as_json()["reading"] == "why did Abrams warn"
    alone = engine.answer("why?")
    assert alone.reading == "" and "reading" not in alone.as_json()


NAMES = {"lindqvist", "oslo", "bergen"}.__contains__
"""A corpus's names, as its capitalisation statistics would give them."""


@pytest.mark.parametrize("previous, follow_up, reading", [
    ("what did lindqvist promise?", "why does she think so", "why does lindqvist think so"),
    ("what did lindqvist promise the council in oslo?", "what about bergen", "what did lindqvist promise the council in bergen"),
    ("how do i renew a permit in oslo for a boat?", "and in bergen", "how do i renew a permit in bergen for a boat"),
    ("what did the council say publicly about the budget?", "and privately?", "what did the council say privately about the budget"),
    ("what happens if a permit expires?", "and if it is lost", "what happens if it is lost"),
])
def test_corpus_names_phrases_and_manners_are_swapped_in_kind(previous, follow_up, reading):
    assert read_follow_up(previous, follow_up, NAMES) == reading


def test_only_the_first_pronoun_of_each_kind_points_back():
    assert read_follow_up("What did Mayor Lindqvist promise?", "did her aide back that up") == \
        "did Mayor Lindqvist's aide back Mayor Lindqvist up"
    assert read_follow_up("what is a lifetime in rust?", "why is it hard and how do i fix it") == \
        "why is a lifetime in rust hard and how do i fix it"
