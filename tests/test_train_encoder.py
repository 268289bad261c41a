"""Slow (opt in with `-m slow`): a few training steps of scripts/train_encoder.py on a tiny set of a
training corpus make the loss fall, through the same batch and loss code a full run uses."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location("train_encoder", ROOT / "scripts" / "train_encoder.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_a_few_steps_make_the_loss_fall():
    import torch
    from sentence_transformers import SentenceTransformer

    from index.dense.model import bundled_model_path
    from index.evaluation.suite import EvalSet
    from index.evaluation.training import label_set

    train = _script()
    folder = ROOT / "scripts" / "training" / "sets" / "train-a"
    labelled = label_set(EvalSet("train-a", folder / "corpus", folder / "questions.jsonl", "train"))
    assert sum(len(q.gold) > 0 for q in labelled.questions) >= 50  # evidence located by the serving code
    batch = train.examples([labelled], 1, random.Random(0))[:8]
    torch.manual_seed(0)
    model = SentenceTransformer(str(bundled_model_path()), device="cpu")
    model.max_seq_length = 64
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    losses = []
    for _ in range(4):
        loss = train._batch_loss(model, batch, {"train-a": labelled}, 20.0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0], losses
