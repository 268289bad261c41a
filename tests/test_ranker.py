"""The shipped ranker matches the features the engine computes, and a stale one is refused clearly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from index.answering.features import FEATURE_NAMES, FEATURE_SCHEMA
from index.answering.ranker import RANKER_FILE, load_ranker
from index.errors import RankerError


def test_shipped_ranker_was_trained_on_the_current_features():
    ranker = load_ranker(schema=FEATURE_SCHEMA)
    assert ranker.trees.feature_names == FEATURE_NAMES
    scores = ranker.score(np.zeros((3, len(FEATURE_NAMES)), dtype=np.float32))
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_ranker_of_another_feature_schema_is_refused_with_the_command_to_run(tmp_path):
    data = json.loads(RANKER_FILE.read_text(encoding="utf-8"))
    data["meta"]["feature_schema"] = "0123456789abcdef"
    stale = tmp_path / "ranker.json"
    stale.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RankerError, match=r"ranker.json was trained on another feature schema.*train_ranker\.py"):
        load_ranker(stale, schema=FEATURE_SCHEMA)
    del data["meta"]["feature_schema"]
    stale.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RankerError, match="unstamped"):
        load_ranker(stale, schema=FEATURE_SCHEMA)
    assert load_ranker(stale).trees.feature_names == FEATURE_NAMES  # no check asked for