"""The engine on the real corpus with the real model: quotes are verbatim, short, distinct, and the
engine abstains when the documents do not answer."""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS, DEV_QUESTIONS


def document(doc: str) -> str:
    return (CORPUS / doc).read_text(encoding="utf-8")


def test_abrams_warning_is_quoted_first(engine):
    answer = engine.answer("what did Abrams warn?")
    assert answer.answered
    top = answer.quotes[0]
    focus = top.text[top.focus[0]:top.focus[1]]
    assert "abolish the U.N. Command" in focus
    assert "Abrams warned" in focus


@pytest.mark.parametrize("question", [
    "what did Abrams warn?",
    "who is Tokola",
    "what does the korea herald say about china",
    "why does the blogger oppose the declaration",
])
def test_quotes_are_exact_slices_short_and_distinct(engine, question):
    answer = engine.answer(question, k=5)
    assert 1 <= len(answer.quotes) <= 5
    for quote in answer.quotes:
        assert document(quote.doc)[quote.start:quote.end] == quote.text
        assert len(quote.text) <= 800
        assert 0 <= quote.focus[0] < quote.focus[1] <= len(quote.text)
        assert 0.0 <= quote.score <= 1.0
    spans = [(q.doc, q.start, q.end) for q in answer.quotes]
    for i, (doc, start, end) in enumerate(spans):
        for other_doc, other_start, other_end in spans[i + 1:]:
            assert doc != other_doc or end <= other_start or other_end <= start, "quotes overlap"
    texts = [" ".join(q.text.split()) for q in answer.quotes]
    assert len(set(texts)) == len(texts)
    assert [q.score for q in answer.quotes] == sorted((q.score for q in answer.quotes), reverse=True)


def test_off_topic_question_abstains(engine):
    answer = engine.answer("what is the best recipe for chocolate chip cookies?")
    assert not answer.answered
    assert answer.quotes == []
    assert answer.notes


def test_question_about_an_unmentioned_person_abstains(engine):
    answer = engine.answer("what did Angela Merkel say about the declaration?")
    assert not answer.answered
    assert any("merkel" in note.lower() for note in answer.notes)


def test_a_question_naming_someone_the_documents_never_mention_abstains(engine):
    answer = engine.answer("How many children does Kanye West have with Kim?")  # "Kim" alone is known
    assert not answer.answered
    assert any("never mention Kanye West" in note for note in answer.notes), answer.notes


def test_a_question_about_a_year_the_documents_never_mention_abstains(engine):
    answer = engine.answer("what did moon say about the declaration in 2009")
    assert not answer.answered
    assert any("never mention 2009" in note for note in answer.notes), answer.notes
    assert "2009" not in "".join(engine.answer("what did moon say about the declaration in 2021").notes)


@pytest.mark.parametrize("question", [
    "What did Tokolla say about the declaration?",  # a typo in a long name
    "What did Abrams and Tokola say?",
    "what did the NIS report?",  # an acronym the documents spell out
])
def test_names_the_documents_know_by_near_spellings_are_not_refused_as_unknown(engine, question):
    answer = engine.answer(question)
    assert not any("never mention" in note for note in answer.notes), answer.notes


def test_an_unmentioned_owner_of_a_source_abstains(engine):
    answer = engine.answer("what did germany's government say about the declaration?")
    assert not answer.answered
    assert any("germany" in note.lower() for note in answer.notes)


@pytest.mark.parametrize("question", [
    "what does the blogger think of a korean war peace treaty",  # the writer, not a source inside
    "according to seoul's spy agency what preconditions did pyongyang propose",  # described, not named
])
def test_sources_the_documents_know_by_other_words_are_answered(engine, question):
    answer = engine.answer(question)
    assert answer.answered, answer.notes
    assert not any("never mention" in note for note in answer.notes)


def test_dev_unanswerable_questions_mostly_abstain(engine):
    records = [json.loads(line) for line in DEV_QUESTIONS.read_text().splitlines() if line.strip()]
    unanswerable = [r["question"] for r in records if not r["evidence"]]
    abstained = sum(not engine.answer(q).answered for q in unanswerable)
    assert abstained >= len(unanswerable) - 1


def test_empty_and_overlong_questions(engine):
    assert not engine.answer("   \n\t").answered
    long = "what did Abrams warn? " + "x" * 5000
    answer = engine.answer(long)
    assert any("cut" in note for note in answer.notes)


def test_k_limits_quotes(engine):
    assert len(engine.answer("what did Abrams warn?", k=1).quotes) == 1
    assert len(engine.answer("what did Abrams warn?", k=4).quotes) <= 4


def test_json_shape(engine):
    data = engine.answer("what did Abrams warn?").as_json()
    assert set(data) >= {"question", "answered", "quotes"}
    for quote in data["quotes"]:
        assert set(quote) >= {"doc", "start", "end", "text", "score"}
        assert isinstance(quote["start"], int) and isinstance(quote["score"], float)
    json.dumps(data)


def test_sources_list_the_documents(engine):
    names = {s.path for s in engine.sources()}
    assert names == {p.name for p in CORPUS.iterdir() if p.suffix == ".txt"}
    assert all(s.units > 0 and s.size > 0 for s in engine.sources())
