"""The evaluators' arithmetic, on answers made up for the purpose (the engine itself is measured by
`scripts/evaluate.py`, not here)."""

from __future__ import annotations

from index.answer import Answer, Quote
from index.evaluation.evaluators import DevQuestion, evaluate_dev, evaluate_off_topic

DOCUMENTS = {"a.txt": "The ferry sails at noon. The quay closed in May because of storms."}


def quote(text: str) -> Quote:
    start = DOCUMENTS["a.txt"].index(text)
    return Quote("a.txt", start, start + len(text), text, 0.9, 1, 1, (0, len(text)))


def test_off_topic_counts_abstentions_by_reason_and_keeps_false_answers():
    answers = {
        "who won the cup": Answer("who won the cup", False, [], notes=["The documents never mention cup."]),
        "who is Zed": Answer("who is Zed", False, [], notes=["The documents never mention zed."]),
        "why is the sky blue": Answer("why is the sky blue", False, [], notes=["No passage matches the question closely enough."]),
        "when is noon": Answer("when is noon", True, [quote("The ferry sails at noon.")]),
    }
    report = evaluate_off_topic(list(answers), answers.__getitem__)
    assert (report.questions, report.abstained) == (4, 3)
    assert report.reasons == {"The documents never mention ...": 2, "No passage matches the question closely enough.": 1}
    assert report.answered == ["when is noon"]
    assert any("0.750" in line for line in report.lines())


def test_dev_hits_need_half_the_evidence_in_a_short_quote():
    questions = [
        DevQuestion("q1", "why did the quay close", ("because of storms",)),
        DevQuestion("q2", "when does the ferry sail", ("The ferry sails at noon.",)),
        DevQuestion("q3", "who owns the ferry", ()),
    ]
    answers = {
        "why did the quay close": Answer("", True, [quote("The ferry sails at noon."), quote("The quay closed in May because of storms.")]),
        "when does the ferry sail": Answer("", False, []),
        "who owns the ferry": Answer("", False, []),
    }
    report = evaluate_dev(questions, DOCUMENTS, answers.__getitem__)
    assert (report.answerable, report.hit1, report.hit3, report.refused, report.abstained) == (2, 0, 1, 1, 1)
    assert report.reciprocal_rank == 0.5
    assert report.misses == ["q1@3", "q2"]
    assert report.verbatim == report.quotes == 2


def test_a_typo_changes_the_longest_word_by_one_edit_and_nothing_else():
    import random

    from index.answering.spelling import one_typo_apart
    from index.evaluation.evaluators import with_typo

    question = "what did the ambassador say about declarations?"
    for seed in range(50):
        typed = with_typo(question, random.Random(seed))
        before, after = question.split(), typed.split()
        changed = [(a, b) for a, b in zip(before, after) if a != b]
        assert len(changed) == 1 and changed[0][0] == "declarations?"
        assert one_typo_apart(changed[0][0], changed[0][1])
        assert changed[0][1][0] == "d" and changed[0][1].endswith("s?")
    assert with_typo("who is he", random.Random(0)) == "who is he"
