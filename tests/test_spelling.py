"""Reading a misspelt question word as the word the documents use: the typo test against the textbook
edit distance, the speller on made-up word counts, and the engine on the real corpus."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.answering.spelling import Speller, fold_accents, one_typo_apart, speller_of
from index.documents.words import WordCounts


@pytest.mark.parametrize(
    ("a", "b", "apart"),
    [
        ("klinger", "klingner", True),  # a letter dropped
        ("bankok", "bangkok", True),
        ("harthorne", "hawthorne", True),  # a letter changed
        ("tokloa", "tokola", True),  # two letters swapped
        ("tokola", "tokola", False),  # the same word is no typo
        ("klinger", "klingers", True),
        ("moon", "yoon", True),
        ("abrams", "harris", False),
        ("tokola", "tolako", False),
        ("ab", "abcd", False),
    ],
)
def test_one_typo_apart(a, b, apart):
    assert one_typo_apart(a, b) is apart
    assert one_typo_apart(b, a) is apart


@given(st.text(alphabet="abcdef", max_size=8), st.text(alphabet="abcdef", max_size=8))
@settings(max_examples=300, deadline=None)
def test_one_typo_apart_agrees_with_edit_distance(a, b):
    """Against the textbook Damerau (optimal string alignment) distance."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        for j in range(len(b) + 1):
            if min(i, j) == 0:
                d[i][j] = max(i, j)
                continue
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    assert one_typo_apart(a, b) == (d[len(a)][len(b)] == 1)


def counted(text: str) -> Speller:
    counts = WordCounts()
    counts.add(text)
    return Speller(json.loads(counts.encode()))


def test_speller_reads_accents_and_one_typo_in_long_words_only():
    speller = counted("Klingner said so. Moon agreed. Milošević and João. The declaration, the declarations, "
                      "a declaration.")
    assert speller.correct("klingner") == "klingner"
    assert speller.correct("klinger") == "klingner"
    assert speller.correct("milosevic") == "milošević" and speller.correct("joao") == "joão"
    assert speller.correct("yoon") is None  # short: exact only
    assert speller.correct("declaratons") == "declarations"  # the only word one typo away
    assert speller.correct("declaraton") == "declaration"
    assert speller.correct("klingers2x") is None
    assert speller.correct("klinger", typos=False) is None and speller.correct("joao", typos=False) == "joão"
    assert fold_accents("Milošević") == "Milosevic"


def test_the_most_frequent_of_several_candidates_wins():
    assert counted("formed former former").correct("formet") == "former"


def test_a_name_only_becomes_a_name():
    speller = counted("A victory for Victoria. Victoria won.")
    assert speller.correct("victor") == "victory"
    assert speller.correct("victor", name=True) is None  # the documents never capitalise "victory"
    assert speller.correct("victorla", name=True) == "victoria"
    assert speller.is_name("victoria") and not speller.is_name("victory")


def test_a_word_often_capitalised_in_names_counts_as_a_name_and_accents_and_typos_combine():
    speller = counted("St Paul's Cathedral. The Cathedral. A cathedral, a cathedral. Victory! A victory, "
                      "a victory, a victory, a victory. In Córdoba.")
    assert speller.correct("catherdral", name=True) == "cathedral"  # capitalised half the time
    assert speller.correct("victor", name=True) is None  # capitalised only to start a sentence
    assert speller.correct("codoba", name=True) == "córdoba"


def test_words_are_counted_with_their_capitals_and_read_on_first_use(tmp_path):
    counts = WordCounts()
    counts.add("Tokola met Abrams; abrams left. 2021 and the U.N.")
    assert json.loads(counts.encode()) == {"abrams": [2, 1], "left": [1, 0], "met": [1, 0], "tokola": [1, 1]}
    path = tmp_path / "words.json"
    path.write_bytes(counts.encode())
    speller = Speller(path=path)
    counts.add("Klingner")
    path.write_bytes(counts.encode())  # not read yet
    assert speller.correct("klinger") == "klingner"


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2]", b'{"tokola": 3}', b'{"tokola": [1, "x"]}', b"\xff"])
def test_a_damaged_words_file_means_no_corrections_not_a_crash(tmp_path, content):
    path = tmp_path / "words.json"
    path.write_bytes(content)
    assert Speller(path=path).correct("tokolla") is None
    assert Speller(path=tmp_path / "missing.json").correct("tokolla") is None


@pytest.mark.parametrize(("typed", "speaker"), [
    ("What did Klinger say about the declaration?", "Bruce Klingner"),
    ("what did tokolla note", "Mark Tokola"),
    ("Klinger's view of the declaraton", "Bruce Klingner"),
])
def test_the_engine_quotes_the_person_a_misspelt_question_means(engine, typed, speaker):
    answer = engine.answer(typed)
    assert answer.answered, answer.notes
    assert speaker in answer.quotes[0].text


def test_a_name_the_documents_lack_is_not_read_as_a_common_word(engine):
    """The blog speaks of a foreign policy "victory"; Victor Cha is not in the documents."""
    answer = engine.answer("Who is Victor Cha?")
    assert not answer.answered
    assert any("never mention Victor Cha" in note for note in answer.notes), answer.notes


def test_a_question_of_gibberish_costs_a_bounded_number_of_lookups(engine, monkeypatch):
    from index.answering.features import MAX_SPELLING_TRIES

    speller = speller_of(engine._searcher.index.words)
    calls = []
    original = speller.correct
    monkeypatch.setattr(speller, "correct", lambda *a, **k: calls.append(k.get("typos", True)) or original(*a, **k))
    answer = engine.answer(" ".join(f"Qwxzv{chr(97 + i % 26)}{chr(97 + i // 26)}kk" for i in range(100)))
    assert not answer.answered
    assert sum(calls) <= MAX_SPELLING_TRIES


def test_the_dictionary_is_the_models_whole_words(tmp_path):
    from index.answering.spelling import model_dictionary

    (tmp_path / "vocab.txt").write_text("[PAD]\n##ing\nformer\nvictor\na\nx1\nKlingner\n", encoding="utf-8")
    assert model_dictionary(tmp_path) == {"former", "victor"}
    assert model_dictionary(tmp_path / "nowhere") is None and model_dictionary(None) is None


def test_words_of_the_language_are_no_typos_and_a_dictionary_frees_capitalised_ones(engine):
    from index.answering.features import correct_spelling

    index = engine._searcher.index
    assert speller_of(index.words).correct("sanctions") == "sanctions" and not speller_of(index.words).is_name("sanctions")
    dictionary = frozenset({"what", "about", "sanctions", "sanctons"})
    # A capitalised typo: a name only, without a dictionary; any word with one that says it is no word.
    assert correct_spelling(index, "What about Sanctoins?") == "What about Sanctoins?"
    assert correct_spelling(index, "What about Sanctoins?", dictionary=dictionary) == "What about Sanctions?"
    # A word of the language is left alone, however close a word of the documents is.
    assert correct_spelling(index, "what about sanctons", dictionary=dictionary) == "what about sanctons"
    assert correct_spelling(index, "what about sanctons") == "what about sanctions"
