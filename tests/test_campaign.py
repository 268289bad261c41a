"""The hostile-input and fault campaign (scripts/campaign.py): its checks first, then each part with
the quick plan (a few inputs of every kind), then the full campaign as an opt-in slow test.

The quick parts assert the issue's requirements on fewer inputs; the figures of the full run are in
docs/hardening.md and come from `python scripts/campaign.py`.
"""

from __future__ import annotations

import logging

import pytest
from campaign_parts.capture import OutputCapture
from campaign_parts.context import FULL, QUICK, CampaignContext
from campaign_parts.hostile_text import HOSTILE, hostile_questions
from campaign_parts.reply_check import ping_problems, reply_problems
from campaign_parts.runner import run_part
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.discord.render import render_answer
from index.answer import Answer, Quote
from index.config import PROJECT_ROOT

SEED = 20261123


def _quote(text: str, focus: tuple[int, int], doc: str = "doc.md") -> Quote:
    return Quote(doc, 0, len(text), text, 0.9, 3, 2, focus)


# -- the checks themselves --------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(st.lists(HOSTILE.filter(lambda t: t.strip()), min_size=1, max_size=4), HOSTILE, st.data())
def test_every_rendered_answer_passes_the_reply_check(texts, doc, data):
    """The renderer against the campaign's definition of a correct reply, on hostile quote text and
    hostile file names."""
    quotes = []
    for text in texts:
        start = data.draw(st.integers(0, len(text)))
        quotes.append(_quote(text, (start, data.draw(st.integers(start, len(text)))), doc=doc or "d"))
    answer = Answer("q", True, quotes)
    rendered = render_answer(answer)
    assert reply_problems(rendered, answer) == []
    assert ping_problems(rendered, {"allowed_mentions": {"parse": []}}, {"mentions": []}) == []


@pytest.mark.parametrize("broken", [
    "> **Fine.** @everyone\n— doc.md, paragraph 3 (line 2)",
    "> **Fine.** <@123456789012345678>\n— doc.md, paragraph 3 (line 2)",
    "> **Fine.** ```\n— doc.md, paragraph 3 (line 2)",
    "> **Fine.** *x*\n— doc.md, paragraph 3 (line 2)",
    "> 1. **Fine.**\n— doc.md, paragraph 3 (line 2)",
    "> **Fine. Not in the quote.**\n— doc.md, paragraph 3 (line 2)",
    "> **Fine.**\n— other.md, paragraph 3 (line 2)",
    "> **Fine.**",
])
def test_the_reply_check_catches_broken_replies(broken):
    text = "1. Fine."
    answer = Answer("q", True, [_quote(text, (3, len(text)))])
    assert reply_problems(broken, answer) or ping_problems(broken, None, None)


def test_the_token_search_finds_a_leak():
    capture = OutputCapture()
    with capture.logs(), capture.printed("test"):
        logging.getLogger("discord.http").debug("sending Authorization: Bot %s", "s3cret-token")
        print("token s3cret-token")
    assert capture.occurrences("s3cret-token") == {"log": 1, "printed": 1}


def test_the_question_set_covers_every_kind_the_issue_lists():
    kinds = {kind for kind, _ in hostile_questions(0, SEED)}
    assert {"empty", "whitespace", "long", "emoji", "zero-width", "rtl", "mention", "markdown", "url", "command",
            "path", "template", "nul", "surrogate"} <= kinds
    assert len(hostile_questions(FULL.generated_questions, SEED)) >= 200


# -- the parts, quick plan --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def quick(tmp_path_factory, encoder):
    return CampaignContext(QUICK, SEED, tmp_path_factory.mktemp("campaign"), encoder=encoder, verbose=False)


def _figures(result) -> dict[str, str]:
    return dict(result.figures)


@pytest.mark.timeout(900)
def test_hostile_questions(quick):
    result = run_part(quick, "questions")
    assert result.failures == []
    figures = _figures(result)
    assert figures["crashes (no reply, traceback, bad exit)"] == "0"
    assert figures["pings (raw mention or allowed_mentions not empty)"] == "0"


@pytest.mark.timeout(900)
def test_hostile_corpus_files(quick):
    result = run_part(quick, "corpus")
    assert result.failures == []
    assert _figures(result)["rebuild finished"].startswith("yes")


@pytest.mark.timeout(600)
def test_index_folder_never_touches_user_files(quick):
    result = run_part(quick, "index-dir")
    assert result.failures == []
    assert _figures(result)["user files changed (folders where any byte changed)"] == "0/4"


@pytest.mark.timeout(600)
def test_links_and_hidden_files_leak_nothing(quick):
    result = run_part(quick, "links")
    assert result.failures == []
    figures = _figures(result)
    assert figures["links and dotfiles leaked (indexed documents / answers holding the secret)"] == "0 / 0"
    assert figures["links and hidden entries named in the rebuild summary"] == "5/5"


@pytest.mark.timeout(900)
def test_documents_that_stall_and_settings_out_of_range(quick):
    """The quick plan's ratio limit only catches a quadratic step; the 5x target is the full campaign's
    and `scripts/bench_adversarial.py`'s."""
    result = run_part(quick, "documents")
    assert result.failures == []
    figures = _figures(result)
    assert figures["rebuild of the hostile documents (FIFO swapped in after listing)"].startswith("finished")
    assert figures["out-of-range settings refused with a message naming them"] == "6/6"


@pytest.mark.timeout(900)
def test_a_batch_session_never_quotes_a_stale_index(quick):
    result = run_part(quick, "stale")
    assert result.failures == []
    figures = _figures(result)
    assert figures["stale quotes (not verbatim against the version they were cut from) / errors"] == "0 / 0"
    assert figures["answers after the last rebuild from the newest version"] == "4/4"


@pytest.mark.timeout(900)
def test_touched_documents_and_impossible_rebuilds_still_get_answers(quick):
    result = run_part(quick, "touched")
    assert result.failures == []
    assert _figures(result)["questions failed on touched-but-unchanged corpora"].startswith("0/")


@pytest.mark.timeout(900)
def test_killed_rebuilds_and_write_errors(quick):
    result = run_part(quick, "kills")
    assert result.failures == []
    assert _figures(result)["kills survived (index loads, verified, and answers as before)"] == f"{QUICK.kills}/{QUICK.kills}"


@pytest.mark.timeout(900)
def test_tampered_index_files(quick):
    result = run_part(quick, "tamper")
    assert result.failures == []
    assert _figures(result)["code executed by loading (pickle payload)"] == "0"


@pytest.mark.timeout(900)
def test_load_during_reindex(quick):
    result = run_part(quick, "load")
    assert result.failures == []


@pytest.mark.timeout(900)
def test_secrets_and_permissions(quick):
    """Runs after the other parts of this module, so the token search covers their output too."""
    result = run_part(quick, "secrets")
    assert result.failures == []
    assert _figures(result)["token occurrences in everything captured"].startswith("0 in ")


@pytest.mark.slow
@pytest.mark.timeout(7200)
def test_full_campaign(tmp_path, encoder):
    from campaign_parts.results import render_table
    from campaign_parts.runner import run_parts

    ctx = CampaignContext(FULL, SEED, tmp_path, encoder=encoder)
    results = run_parts(ctx, ["questions", "corpus", "links", "documents", "index-dir", "stale", "touched", "kills",
                                 "tamper", "load", "secrets"])
    assert all(r.passed for r in results), render_table(results)


def test_the_tamper_probe_notices_unpickling(tmp_path):
    """The probe refuses and records any unpickling, so a loader with allow_pickle=True would show."""
    import subprocess
    import sys

    import numpy as np

    np.save(tmp_path / "object.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    code = ("import sys; sys.path.insert(0, 'tests'); import numpy as np; from campaign_parts import tamper_probe as p; "
            f"p._forbid_unpickling()\ntry: np.load({str(tmp_path / 'object.npy')!r}, allow_pickle=True)\n"
            "except Exception: pass\nprint(p.UNPICKLED)")
    run = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "['pickle.load']", run.stderr
