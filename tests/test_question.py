"""Reading questions: the answer type and the source a question names, on made-up chat questions (no
model, no index)."""

from __future__ import annotations

import pytest

from index.answering.question import (
    analyse,
    answer_type,
    expand_chat_forms,
    mentioned_names,
    mentioned_years,
    source_names,
    source_words,
)


@pytest.mark.parametrize(
    ("question", "standard"),
    [
        ("what do ppl think of the ferry rn?", "what do people think of the ferry right now?"),
        ("can it sail w/o a pilot, re the new rules", "can it sail without a pilot, about the new rules"),
        ("whos closing the quay b4 the storm", "who is closing the quay before the storm"),
        ("the re-election of the mayor", "the re-election of the mayor"),  # inside a word: untouched
    ],
)
def test_chat_spellings_become_standard_words(question, standard):
    assert expand_chat_forms(question) == standard


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("how many ferries sail on sundays", "number"),
        ("when did the crane collapse", "date"),
        ("which day did the mayor resign", "date"),
        ("who runs the harbour", "person"),
        ("where was the council meeting held", "place"),
        ("why's the ferry cancelled", "reason"),
        ("whats the real reason they closed the quay", "reason"),
        ("how did the islanders react", "manner"),
        ("what did the mayor say when the crane fell", "other"),  # the first wh-word decides
        ("the ferry is cancelled", "other"),
    ],
)
def test_answer_type_is_read_at_the_first_wh_word(question, kind):
    assert answer_type(analyse(question).text) == kind


@pytest.mark.parametrize(
    ("question", "words", "names"),
    [
        # The phrase after "per" / "according to" stops at the next wh-word, auxiliary or comma.
        ("per okafor what happens to the ferry next", ("okafor",), (("okafor",),)),
        ("per the harbour master, whats the delay", ("harbour", "master"), (("harbour", "master"),)),
        ("according to marlow's port office what goods are stuck", ("marlow", "port", "office"), (("marlow",),)),
        # A possessive source is named by its owner; the rest describes it.
        ("what did lisbon's govt say about the strike", ("lisbon", "government"), (("lisbon",),)),
        ("okafor's take on the delay?", ("okafor",), (("okafor",),)),
        # Every content word names a source without an owner.
        ("did the former harbour master think the repairs were late", ("former", "harbour", "master"),
         (("former", "harbour", "master"),)),
        # Verbs of stance name a source as verbs of saying do.
        ("did ana okafor back the new timetable", ("ana", "okafor"), (("ana", "okafor"),)),
        ("would the council oppose a second crane", ("council",), (("council",),)),
        # Words for the documents or whoever wrote them name no source inside them.
        ("what does the blogger think about the ferry", (), ()),
        ("what do the documents say about the crane", (), ()),
        ("why was the ferry cancelled", (), ()),
    ],
)
def test_sources_and_the_words_that_name_them(question, words, names):
    text = analyse(question).text
    assert source_words(text) == words
    assert source_names(text) == names


def test_two_sources_in_one_question_are_kept_apart():
    analysis = analyse("per the gazette what did ana okafor say had to happen first")
    assert analysis.source_names == (("gazette",), ("ana", "okafor"))
    assert set(analysis.source_words) == {"gazette", "ana", "okafor"}


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("When did Ana Okafor close the quay?", (("ana", "okafor"),)),
        ("Who ran the harbour before Marlow, and who after Lisbon?", (("marlow",), ("lisbon",))),
        ("Is the Okafor's ferry late? Marlow says so.", (("okafor",),)),  # a clause's first word is no name
        ("Which ferry did Okafor's office cancel?", (("okafor",),)),
        ("Hi @Harbourbot, where is the crane?", ()),  # a chat handle is not a name
        ("when did ana okafor close the quay", ()),  # lower case: nothing to go by
        ("When Did The Ferry Sail From Marlow", ()),  # title case: capitals mark no names
        ("WHEN DID THE FERRY SAIL", ()),
        ("Who preceded Ana Okafor at Marlow Port?", (("ana", "okafor"), ("marlow", "port"))),
        ("Is it OK to close the IMF office?", (("imf",),)),  # two capitals are as often a word
        ("What happened at Marlow in Feb and on Monday?", (("marlow",),)),  # dates name no one
        ("What is the ferry contract between Under Armour and The Marlow Port?", (("armour",), ("marlow", "port"))),
        ("Who is Ana Okafor?", (("ana", "okafor"),)),
        ("Okafor's ferry left when?", (("okafor",),)),  # a possessive opening the question names its owner
        ("What's the delay? Today's ferry is late.", ()),
        ("when was the first iPod sold at Marlow", (("ipod",), ("marlow",))),  # a capital inside a word
        ("Marlow", ()),
    ],
)
def test_names_are_runs_of_capitalised_words_inside_a_question(question, names):
    assert tuple(name.words for name in mentioned_names(analyse(question).text)) == names
    assert analyse(question).names == mentioned_names(analyse(question).text)


def test_a_name_keeps_its_spelling_for_messages():
    assert [n.text for n in mentioned_names("What did Ana Okafor's office and the Marlow Port say?")] == [
        "Ana Okafor", "Marlow Port"]


@pytest.mark.parametrize(
    ("question", "years"),
    [
        ("what happened to the ferry in 2009?", ("2009",)),
        ("was the quay busier in the 1990s than in 2021, or in 2009", ("1990s", "2021", "2009")),
        ("did the mayor resign (2018)", ("2018",)),
        ("were 2,019 tickets sold", ()),  # a count, not a year
        ("is 555-2019 the harbour's number", ()),
        ("did the 17:1700 ferry sail", ()),
        ("what did the 2019-2020 budget say", ()),  # a range is left alone
        ("how many of the 12345 passengers", ()),
    ],
)
def test_years_are_four_digit_numbers_standing_alone(question, years):
    assert mentioned_years(question) == years
