"""The suite evaluator and the two peers it measures the engine beside (real model, real FAISS, bm25s)."""

from __future__ import annotations

import json
import math

import pytest

from index.answer import Answer, Quote
from index.evaluation.evaluators import DevQuestion, evaluate_dev
from index.evaluation.peers import CHUNK_CHARS, CHUNK_OVERLAP, ChunkPeers, chunk_documents
from index.evaluation.suite import Figures, SuiteError, macro, read_suite, select

DOCUMENTS = {
    "ferry.md": "# Ferries\n\nThe ferry to Orkney sails at noon every day except Sunday. " * 3
    + "Tickets are sold at the quay kiosk, which opens an hour before departure.",
    "bakery.txt": "The bakery on Mill Lane sells sourdough loaves baked with rye flour. " * 4
    + "Its owner, Marta Quillfeather, learned baking in Gdansk.",
}


def test_chunks_are_verbatim_fixed_size_and_overlap():
    chunks = chunk_documents(DOCUMENTS)
    for doc in DOCUMENTS:
        mine = [c for c in chunks if c.doc == doc]
        assert mine[0].start == 0 and mine[-1].end == len(DOCUMENTS[doc])
        assert all(c.end - c.start <= CHUNK_CHARS for c in mine)
        for a, b in zip(mine, mine[1:]):
            assert b.start == a.start + CHUNK_CHARS - CHUNK_OVERLAP  # 50 characters shared


def test_peers_quote_verbatim_and_find_the_obvious_chunk(encoder):
    peers = ChunkPeers(DOCUMENTS, encoder)
    bm25 = peers.answer_bm25("who is Quillfeather", k=2)
    assert "Quillfeather" in bm25.quotes[0].text
    dense = peers.answer_dense("where can I buy a ferry ticket?", k=2)
    assert dense.quotes[0].doc == "ferry.md"
    for answer in (bm25, dense):
        assert answer.answered
        for quote in answer.quotes:
            assert DOCUMENTS[quote.doc][quote.start:quote.end] == quote.text


def test_bm25_peer_with_no_known_word_still_answers_in_order():
    """A question of stop words only scores nothing; the peer returns chunks rather than failing."""

    class NoEncoder:
        def encode(self, texts, batch_size=64, on_batch=None):  # noqa: ANN001, ANN201
            import numpy as np

            return np.ones((len(texts), 4), dtype="float32") / 2

    peers = ChunkPeers(DOCUMENTS, NoEncoder())
    assert len(peers.chunks) == 2
    assert len(peers.answer_bm25("what is the", k=3).quotes) == 2


def _suite(tmp_path, sets):
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"sets": sets}), encoding="utf-8")
    return path


def test_suite_file_errors_name_the_file_and_the_set(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "q.jsonl").write_text("", encoding="utf-8")
    good = {"name": "a", "corpus": "corpus", "questions": "q.jsonl", "role": "tune"}
    assert read_suite(_suite(tmp_path, [good]), tmp_path)[0].corpus == (tmp_path / "corpus").resolve()
    with pytest.raises(SuiteError, match=r"suite.json: set 'a' has role 'secret'"):
        read_suite(_suite(tmp_path, [dict(good, role="secret")]), tmp_path)
    with pytest.raises(SuiteError, match=r"set 'a': questions file .*missing.jsonl does not exist"):
        read_suite(_suite(tmp_path, [dict(good, questions="missing.jsonl")]), tmp_path)
    with pytest.raises(SuiteError, match="not a suite file"):
        read_suite(_suite(tmp_path, {"name": "x"}), tmp_path)


def test_selection_by_name_or_role(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "q.jsonl").write_text("", encoding="utf-8")
    sets = read_suite(_suite(tmp_path, [
        {"name": "a", "corpus": "corpus", "questions": "q.jsonl", "role": "tune"},
        {"name": "b", "corpus": "corpus", "questions": "q.jsonl", "role": "held"},
    ]), tmp_path)
    assert [s.name for s in select(sets, None, ("tune",))] == ["a"]
    assert [s.name for s in select(sets, "b", ())] == ["b"]  # by name, whatever the role
    with pytest.raises(SuiteError, match="no set named c"):
        select(sets, "a,c", ())


def test_macro_is_the_unweighted_mean_over_sets_and_skips_sets_without_unanswerable():
    text = DOCUMENTS["ferry.md"]
    start = text.index("Tickets")
    hit = Quote("ferry.md", start, len(text), text[start:], 0.9, 1, 1, (0, 10))
    questions = [DevQuestion("q1", "tickets?", (text[start:],)), DevQuestion("q2", "none?", ())]
    first = Figures.of(evaluate_dev(questions, DOCUMENTS, lambda q: Answer(q, True, [hit])))
    second = Figures.of(evaluate_dev(questions[:1], DOCUMENTS, lambda q: Answer(q, False, [])))
    assert (first.hit1, first.abstained, second.hit1, second.refused) == (1.0, 0.0, 0.0, 1.0)
    assert math.isnan(second.abstained)
    both = macro([first, second])
    assert both["hit1"] == 0.5 and both["abstained"] == 0.0 and both["refused"] == 0.5
