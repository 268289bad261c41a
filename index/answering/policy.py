"""The abstain stage's thresholds in one object, calibrated across corpora by `scripts/calibrate.py`.

The ranker's scores mean different things on different corpora, so a floor fitted on one corpus (or
on SQuAD, whose questions copy their paragraph's words) refuses a third of the questions on another.
The floors here are fitted on every tune set of the suite at once, under a ceiling on the share of
answerable questions refused, and their leave-one-corpus-out figures are recorded beside them.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.errors import PolicyError  # noqa: F401 - raised here, part of the API

POLICY_FILE = Path(__file__).resolve().parent / "policy.json"
RERANKED_POLICY_FILE = Path(__file__).resolve().parent / "policy-reranked.json"
"""The floors when a cross-encoder reranks (`RERANK_MODEL`): its best logit is on a scale of its own."""


def policy_file(reranker: object | None) -> Path:
    """The policy of the answering path: with or without a cross-encoder."""
    return POLICY_FILE if reranker is None else RERANKED_POLICY_FILE


def policy_fingerprint(ranker, reranker) -> str:  # noqa: ANN001 - Ranker, CrossEncoder | None
    """What a policy's floors are calibrated for: the ranker, and the cross-encoder when one reranks."""
    return ranker.fingerprint if reranker is None else f"{ranker.fingerprint}+{reranker.fingerprint}"


@dataclass(frozen=True)
class AbstentionPolicy:
    score_floor: float = -math.inf
    """Abstain when the best candidate's ranker score is below this (rule `score_floor`)."""
    checked_answer_types: tuple[str, ...] = ()
    """Answer types whose best quote must hold one (rule `answer_type`)."""
    ranker: str = ""
    """Fingerprint of the ranker whose scores `score_floor` is on (`Ranker.fingerprint`): a policy
    calibrated for another ranker is refused."""
    calibration: dict = field(default_factory=dict)
    """How and on what it was fitted, with its leave-one-corpus-out figures."""

    def save(self, path: Path = POLICY_FILE) -> None:
        path.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")


def load_policy(path: Path = POLICY_FILE, ranker: str | None = None) -> AbstentionPolicy:
    """The shipped policy; with `ranker` (a `Ranker.fingerprint`), it must be calibrated for that ranker."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        policy = AbstentionPolicy(
            float(raw["score_floor"]), tuple(raw["checked_answer_types"]),
            str(raw.get("ranker", "")), dict(raw.get("calibration", {})),
        )
    except FileNotFoundError:
        raise PolicyError(f"The abstention policy {path} is missing: run `python scripts/calibrate.py`.") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PolicyError(f"The abstention policy {path} is unreadable ({exc}): run `python scripts/calibrate.py`.") from exc
    if ranker is not None and policy.ranker != ranker:
        raise PolicyError(
            f"The abstention policy {path} was calibrated for another ranker ({policy.ranker or '?'}, "
            f"this one is {ranker}): run `python scripts/calibrate.py`."
        )
    return policy
