"""The shipped cross-encoder (index/models/chat-reranker): its files match their checksums, a damaged
one is refused by name, the judge stage reads the passages training reads without reordering them, it
is on by default and decides abstention, and training and serving score a question identically."""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from index.config import SHIPPED_RERANKER
from index.dense.cross_encoder import SHIPPED_RERANKER_DIR, OnnxCrossEncoder, encode_pairs, passage_text
from index.dense.shipped import CHECKSUMS, verify_checksums
from index.errors import ModelError

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location("train_reranker", ROOT / "scripts" / "train_reranker.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cross_encoder() -> OnnxCrossEncoder:
    return OnnxCrossEncoder()


def test_shipped_cross_encoder_files_match_their_checksums():
    verify_checksums(SHIPPED_RERANKER_DIR)
    listed = {line.split(maxsplit=1)[1] for line in (SHIPPED_RERANKER_DIR / CHECKSUMS).read_text().splitlines() if line}
    assert {"onnx/model.onnx", "tokenizer.json", "training.json"} <= listed


def test_a_damaged_cross_encoder_file_is_refused_by_name(tmp_path):
    folder = tmp_path / "reranker"
    shutil.copytree(SHIPPED_RERANKER_DIR, folder)
    onnx = folder / "onnx" / "model.onnx"
    data = bytearray(onnx.read_bytes())
    data[len(data) // 2] ^= 0xFF
    onnx.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="model.onnx does not match its checksum"):
        OnnxCrossEncoder(folder)


def test_a_missing_cross_encoder_folder_says_how_to_restore_it(tmp_path):
    with pytest.raises(ModelError, match="git checkout"):
        OnnxCrossEncoder(tmp_path / "absent")


def test_the_answer_scores_above_an_unrelated_sentence(cross_encoder):
    logits = cross_encoder.logits("how long do the backups last", [
        "Backups > Retention\nBackups are kept for 30 days. After that they are deleted.",
        "Cookies > Recipes\nPreheat the oven to 180 degrees and butter the tin.",
    ])
    assert logits.shape == (2,) and logits[0] > logits[1]


def test_passages_name_the_document_and_hold_the_sentence_with_its_neighbours(engine):
    index = engine.searcher.index
    unit = next(u for u in range(1, index.size - 1) if index.same_doc_before[u] and index.same_doc_after[u])
    text = passage_text(index, unit)
    title, body = text.split("\n", 1)
    assert title  # the document's name (and heading, where there is one)
    for neighbour in (unit - 1, unit, unit + 1):
        assert " ".join(index.sentence(neighbour).split()) in body


def test_the_judge_reads_the_rankers_best_candidates_and_leaves_their_order(engine, cross_encoder):
    from index.answering.rerank import JUDGE_DEPTH, judge

    searcher = engine.searcher
    scored = searcher.scored("what did Abrams warn?")
    ids, raw = scored.candidates.ids, scored.raw
    before = raw.copy()
    best = judge(searcher.index, cross_encoder, "what did Abrams warn?", ids, raw)
    assert np.array_equal(raw, before)
    top = np.argsort(-raw, kind="stable")[:JUDGE_DEPTH]
    direct = cross_encoder.logits("what did Abrams warn?", [passage_text(searcher.index, int(u)) for u in ids[top]])
    assert best == pytest.approx(float(direct.max()))
    assert scored.best == pytest.approx(best)  # the default engine judges with the shipped cross-encoder


def test_training_and_serving_score_a_question_identically(engine, cross_encoder):
    """Training tokenises a batch of several questions with `_encode`; serving one question with
    `encode_pairs`: the same tokens, so the same logits."""
    train = _script()
    index = engine.searcher.index
    passages = [passage_text(index, u) for u in range(6)]
    questions = ["what did abrams warn"] * 3 + ["who is tokola"] * 3
    batch = train._encode(cross_encoder._tokenizer, questions, passages)
    for question, lo in (("what did abrams warn", 0), ("who is tokola", 3)):
        alone = encode_pairs(cross_encoder._tokenizer, question, passages[lo:lo + 3])
        width = alone["input_ids"].shape[1]
        for key, value in alone.items():
            assert np.array_equal(batch[key][lo:lo + 3, :width], value)
            assert not batch[key][lo:lo + 3, width:].any()
    # Scored one question at a time, as serving and calibration score it, the logits are the same.
    # (int8 activations are quantised per call: a batch mixing questions shifts logits by up to ~0.2.)
    for question, lo in (("what did abrams warn", 0), ("who is tokola", 3)):
        feeds = train._encode(cross_encoder._tokenizer, [question] * 3, passages[lo:lo + 3])
        (out,) = cross_encoder._session.run(None, {name: feeds[name] for name in cross_encoder._inputs})
        assert np.array_equal(out.reshape(-1).astype(np.float64), cross_encoder.logits(question, passages[lo:lo + 3]))


def test_the_judge_is_on_by_default_and_off_means_the_ranker_policy(default_index, encoder):
    from index.answering.policy import POLICY_FILE, RERANKED_POLICY_FILE
    from index.engine import Engine

    assert default_index.rerank_model == SHIPPED_RERANKER
    engine = Engine.open(default_index, auto_rebuild=False, encoder=encoder)
    assert engine.searcher.policy.ranker.endswith("+" + engine.reranker.fingerprint)
    answer = engine.answer("what did Abrams warn?")
    assert answer.answered and answer.quotes[0].score > 0.5  # confidence is read against the judge's floor
    assert not engine.answer("what is the best recipe for chocolate chip cookies?").answered
    off = Engine.open(dataclasses.replace(default_index, rerank_model=""), auto_rebuild=False, encoder=encoder)
    assert off.reranker is None and "+" not in off.searcher.policy.ranker
    assert POLICY_FILE.is_file() and RERANKED_POLICY_FILE.is_file()


def test_rerank_model_setting_reads_off_and_defaults(monkeypatch):
    from index.config import settings_from_env

    monkeypatch.setenv("RERANK_MODEL", "off")
    assert settings_from_env().rerank_model == ""
    monkeypatch.setenv("RERANK_MODEL", "")
    assert settings_from_env().rerank_model == SHIPPED_RERANKER


@pytest.mark.slow
def test_a_few_reranker_training_steps_make_the_loss_fall():
    import random

    import torch
    from transformers import AutoModelForSequenceClassification

    from index.dense.model import bundled_model_path

    train = _script()
    group = train.Group("toy", "how long are backups kept", [
        "Backups > Retention\nBackups are kept for 30 days.", "Cookies\nPreheat the oven to 180 degrees.",
        "Travel\nBook flights two weeks ahead.", "Backups\nThe backup runs every night at two.",
    ], [1, 0, 0, 0], [1.0, 0.5, 0.2, 0.1], True)
    torch.manual_seed(0)
    folder = bundled_model_path()
    model = AutoModelForSequenceClassification.from_pretrained(str(folder), num_labels=1)
    tokenizer = train.load_tokenizer(folder)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    batch = next(train.batches([group], 3, 1, random.Random(0)))
    losses = []
    for _ in range(4):
        loss = train.batch_loss(model, tokenizer, batch, "cpu", 1.0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0], losses
