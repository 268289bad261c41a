"""The build's text steps (`index.documents.analysis`): the same results as before they were made linear, on
any text, and the shapes that once made them quadratic give the right answer."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from index.answering.question import DATE, NUMBER, REASON
from index.documents.acronyms import count_name_phrases
from index.documents.analysis import TEXT_STEPS, analyse, unit_rows
from index.documents.cues import CUE_DTYPE, cue_table, is_heading
from index.documents.readable import readable
from index.documents.sentences import split_sentences
from index.documents.words import WordCounts

PIECES = st.sampled_from(["Alpha", "beta", "1999", "May", " ", "\n", ". ", "? ", "\x00", "_", "[", "](", "because",
                          "last week", "twenty", '"', "Mr.", "中文。", "é", "-", "A-", "#", "> ", "1. "])
TEXTS = st.lists(PIECES, max_size=40).map("".join)


def sentence_cues(sentence: str) -> tuple[int, ...]:
    """The cues of one sentence, pattern by pattern, as they were computed before the one-pass table."""
    names = re.findall(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+", sentence)
    return (int(bool(NUMBER.search(sentence))), int(bool(DATE.search(sentence))), int(bool(REASON.search(sentence))),
            min(len(names), 3), int(bool(re.search("[\"“”]", sentence))), int(is_heading(sentence)))


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXTS, max_size=12))
def test_the_one_pass_cue_table_equals_cues_sentence_by_sentence(sentences):
    expected = np.array([sentence_cues(s) for s in sentences], dtype=CUE_DTYPE)
    assert cue_table(sentences).tolist() == expected.tolist()


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_unit_rows_hold_character_and_byte_offsets(text):
    sentences = split_sentences(text)
    units, texts = unit_rows(text, sentences)
    encoded = text.encode("utf-8")
    for row, sentence_text in zip(units, texts):
        assert text[row["start"]:row["end"]] == sentence_text
        assert encoded[row["byte_start"]:row["byte_end"]].decode("utf-8") == sentence_text


def test_analyse_times_every_step():
    analysis = analyse("The ferry left at dawn. It came back at noon.", 500)
    assert [analysis.sentence_texts, list(analysis.seconds)] == [
        ["The ferry left at dawn.", "It came back at noon."], list(TEXT_STEPS)]


def test_word_counts_count_every_occurrence_once():
    counts = WordCounts()
    counts.add("Ferry ferry FERRY crane. Ferry!")
    assert (counts.total["ferry"], counts.capitalised["ferry"], counts.total["crane"]) == (4, 3, 1)


def test_punctuation_runs_end_no_sentence_inside_them():
    assert split_sentences("." * 50_000) == []
    text = "Wait" + "!" * 30_000 + " Then it left."
    assert [text[s.start:s.end] for s in split_sentences(text, max_chars=100_000)] == ["Wait" + "!" * 30_000, "Then it left."]


def test_hyphen_chains_are_one_word_to_the_name_counter():
    assert count_name_phrases("A-" * 20_000) == {}
    assert count_name_phrases("the Korea-US Combined Forces Command said") == {
        "Korea-US Combined": 1, "Korea-US Combined Forces": 1, "Korea-US Combined Forces Command": 1,
        "Combined Forces": 1, "Combined Forces Command": 1, "Forces Command": 1}


def test_runs_of_openers_do_not_hide_the_real_link_or_emphasis():
    assert readable("[[[see [the guide](docs/guide.md)") == "[[[see the guide"
    assert readable("_a _b _the _real_ one") == "_a _b _the real one"
    assert readable("keep snake_case_names _and this_") == "keep snake_case_names and this"
