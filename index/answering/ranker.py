"""The learned ranker: a gradient-boosted tree ensemble evaluated with numpy.

It is trained offline by `scripts/train_ranker.py` on SQuAD train questions (never on the benchmarks)
and shipped as `index/answering/ranker.json`: plain arrays, no pickle, no LightGBM needed to answer. All trees are
walked together, one level per step, so scoring a hundred candidates takes well under a millisecond.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.errors import RankerError  # noqa: F401 - raised here, part of the API

RANKER_FILE = Path(__file__).with_name("ranker.json")


@dataclass(frozen=True)
class TreeEnsemble:
    """Trees flattened into node arrays; a negative `left`/`right` entry -k-1 points at leaf k."""

    feature_names: tuple[str, ...]
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    default_left: np.ndarray
    leaf_value: np.ndarray
    depth: int

    def score(self, features: np.ndarray) -> np.ndarray:
        """One score per row of `features` (rows: candidates, columns: `feature_names`)."""
        if features.ndim != 2 or features.shape[1] != len(self.feature_names):
            raise RankerError(f"expected {len(self.feature_names)} features, got {features.shape}")
        n_rows, n_trees = features.shape[0], len(self.roots)
        if n_rows == 0:
            return np.zeros(0, dtype=np.float64)
        node = np.broadcast_to(self.roots, (n_rows, n_trees)).copy()
        rows = np.arange(n_rows)[:, None]
        for _ in range(self.depth):
            inner = node >= 0
            if not inner.any():
                break
            safe = np.where(inner, node, 0)
            values = features[rows, self.feature[safe]]
            go_left = np.where(np.isnan(values), self.default_left[safe], values <= self.threshold[safe])
            node = np.where(inner, np.where(go_left, self.left[safe], self.right[safe]), node)
        return self.leaf_value[-node - 1].sum(axis=1)

    @classmethod
    def from_json(cls, data: dict) -> "TreeEnsemble":
        try:
            return cls(
                feature_names=tuple(data["feature_names"]),
                roots=np.asarray(data["roots"], dtype=np.int64),
                feature=np.asarray(data["feature"], dtype=np.int64),
                threshold=np.asarray(data["threshold"], dtype=np.float64),
                left=np.asarray(data["left"], dtype=np.int64),
                right=np.asarray(data["right"], dtype=np.int64),
                default_left=np.asarray(data["default_left"], dtype=bool),
                leaf_value=np.asarray(data["leaf_value"], dtype=np.float64),
                depth=int(data["depth"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RankerError(f"ranker model is malformed: {exc}") from exc

    def to_json(self) -> dict:
        return {
            "feature_names": list(self.feature_names),
            "roots": self.roots.tolist(),
            "feature": self.feature.tolist(),
            "threshold": self.threshold.tolist(),
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "default_left": self.default_left.astype(int).tolist(),
            "leaf_value": self.leaf_value.tolist(),
            "depth": self.depth,
        }


@dataclass(frozen=True)
class Ranker:
    """The tree ensemble plus what the engine needs to use its scores (calibration for abstention)."""

    trees: TreeEnsemble
    meta: dict

    def score(self, features: np.ndarray) -> np.ndarray:
        return self.trees.score(features)

    @property
    def fingerprint(self) -> str:
        """Names this model's trees: what the abstention policy was calibrated against."""
        return hashlib.sha256(json.dumps(self.trees.to_json(), sort_keys=True).encode()).hexdigest()[:16]


def load_ranker(path: Path = RANKER_FILE, schema: str | None = None) -> Ranker:
    """The shipped ranker; with `schema` (`index.answering.features.FEATURE_SCHEMA`), it must have been trained
    on exactly the columns this program computes."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RankerError(f"The ranker model {path} is missing: run `python scripts/train_ranker.py`.") from None
    except (OSError, ValueError) as exc:
        raise RankerError(f"The ranker model {path} is unreadable ({exc}): run `python scripts/train_ranker.py`.") from exc
    ranker = Ranker(TreeEnsemble.from_json(data["trees"]), data.get("meta", {}))
    trained = ranker.meta.get("feature_schema")
    if schema is not None and trained != schema:
        raise RankerError(
            f"The ranker model {path} was trained on another feature schema ({trained or 'unstamped'}) than this "
            f"program computes ({schema}): run `python scripts/train_ranker.py`."
        )
    return ranker
