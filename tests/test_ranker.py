"""The shipped ranker matches the features the engine computes, and a stale one is refused clearly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from index.features import FEATURE_NAMES
from index.ranker import RANKER_FILE, RankerError, load_ranker


def test_shipped_ranker_was_trained_on_the_current_features():
    ranker = load_ranker(features=FEATURE_NAMES)
    scores = ranker.score(np.zeros((3, len(FEATURE_NAMES)), dtype=np.float32))
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_ranker_trained_on_other_features_is_refused_with_the_command_to_run(tmp_path):
    data = json.loads(RANKER_FILE.read_text(encoding="utf-8"))
    data["trees"]["feature_names"] = data["trees"]["feature_names"][:-1] + ["retired_feature"]
    stale = tmp_path / "ranker.json"
    stale.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RankerError, match=r"ranker.json was trained on other features.*train_ranker\.py"):
        load_ranker(stale, features=FEATURE_NAMES)
    assert load_ranker(stale).trees.feature_names[-1] == "retired_feature"  # no check asked for
