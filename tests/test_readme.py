"""The README's JSON example is the CLI's real output (run it, compare), so the contract it shows
cannot go stale."""

from __future__ import annotations

import json
import re

from index.config import PROJECT_ROOT


def _example() -> dict:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)\n```", readme, re.S)
    assert block, "README.md has no ```json example"
    return json.loads(block.group(1))


def test_the_readme_json_example_is_what_the_cli_answers(engine):
    example = _example()
    answer = engine.answer(example["question"]).as_json()
    assert set(example) <= set(answer), "every key the example shows is in the real answer"
    assert answer["answered"] == example["answered"]
    shown, real = example["quotes"][0], answer["quotes"][0]
    assert (real["doc"], real["start"], real["end"], real["line"]) == (shown["doc"], shown["start"], shown["end"], shown["line"])
    assert real["text"].startswith(shown["text"].removesuffix("...").strip())
    assert abs(real["score"] - shown["score"]) < 0.01
    assert set(shown) <= set(real)
