"""Named rules switch off one at a time, the abstention policy is checked against its ranker, and
training computes exactly the features serving does."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from index.answering.policy import POLICY_FILE, load_policy
from index.answering.ranker import load_ranker
from index.config import settings_from_env
from index.errors import PolicyError, RuleError, SettingError
from index.rules import RULES, checked

ROOT = Path(__file__).resolve().parent.parent


def test_rule_names_are_checked_and_the_message_lists_the_rules(monkeypatch):
    assert checked({"spelling"}) == frozenset({"spelling"})
    with pytest.raises(RuleError, match="unknown rule speling.*rules: chat_forms"):
        checked({"speling"})
    monkeypatch.setenv("RULES_OFF", "spelling, nonsense")
    with pytest.raises(SettingError, match="RULES_OFF: unknown rule nonsense"):
        settings_from_env(env_file=Path("/nonexistent/.env"))
    monkeypatch.setenv("RULES_OFF", "spelling,acronyms")
    assert settings_from_env(env_file=Path("/nonexistent/.env")).rules_off == {"spelling", "acronyms"}


def test_every_rule_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [rule for rule in RULES if f"`{rule}`" not in readme] == []


def test_turning_a_rule_off_changes_the_answer_only_while_it_is_off(engine):
    question = "What did Kanye West say about the declaration?"
    assert not engine.answer(question).answered  # the documents never mention him
    with engine.rules_off({"unknown_names"}):
        assert engine.answer(question).answered
    assert not engine.answer(question).answered
    with pytest.raises(RuleError):
        with engine.rules_off({"no_such_rule"}):
            pass


def test_policy_belongs_to_the_shipped_ranker_and_a_stale_one_is_refused(tmp_path):
    ranker = load_ranker()
    policy = load_policy(ranker=ranker.fingerprint)
    assert np.isfinite(policy.score_floor)
    assert policy.calibration["leave_one_corpus_out"]  # the figures are recorded with the floor
    stale = json.loads(POLICY_FILE.read_text(encoding="utf-8"))
    stale["ranker"] = "feedfacefeedface"
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(stale), encoding="utf-8")
    with pytest.raises(PolicyError, match=r"calibrated for another ranker.*scripts/calibrate\.py"):
        load_policy(path, ranker=ranker.fingerprint)
    with pytest.raises(PolicyError, match="missing: run `python scripts/calibrate.py`"):
        load_policy(tmp_path / "absent.json")


def test_engine_without_a_policy_says_so_and_still_answers(default_index, encoder, monkeypatch):
    import index.engine as engine_module
    from index.engine import Engine

    def missing(*args, **kwargs):
        raise PolicyError("The abstention policy x is missing: run `python scripts/calibrate.py`.")

    monkeypatch.setattr(engine_module, "load_policy", missing)
    told: list[str] = []
    engine = Engine.open(default_index, auto_rebuild=False, encoder=encoder, notify=told.append)
    assert any("calibrate.py" in m and "Abstaining only on names" in m for m in told)
    assert engine.answer("what did abrams warn?").answered


def test_training_computes_exactly_the_features_serving_does(engine):
    """`scripts/train_ranker.py` labels the candidates the serving path finds, with its features."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import train_ranker
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    from index.evaluation.evaluators import SquadQuestion

    searcher = engine.searcher
    question = "wat did the former USFK commander warn about the end of war declaration"
    squad = SquadQuestion("x", question, "end-of-war-declaration-blog.txt", ("Abrams",), ((0, 6),))
    [group] = train_ranker.collect(searcher, [squad], [question])
    served = searcher.scored(question).candidates
    assert np.array_equal(group.ids, served.ids)
    assert np.array_equal(group.features, served.features)
