"""Discord rendering: within limits, nothing pings or breaks the formatting, words stay the document's."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.discord.render import MESSAGE_LIMIT, escape, render_answer
from index.answer import Answer, Quote

PIECES = list("abc XYZ.!?*_~`|>#-@<&:/\n") + ["@everyone", "@here", "<@123456789012345678>", "```", "||", "https://x.io", "word "]
HOSTILE = st.lists(st.sampled_from(PIECES), min_size=1, max_size=300).map("".join)


def quote(text: str, focus: tuple[int, int] | None = None, doc: str = "doc.txt") -> Quote:
    return Quote(doc, 0, len(text), text, 0.9, 1, 1, focus or (0, len(text)))


@settings(max_examples=200, deadline=None)
@given(st.lists(HOSTILE, min_size=1, max_size=6), st.data())
def test_any_answer_fits_and_cannot_ping(texts, data):
    quotes = []
    for text in texts:
        a = data.draw(st.integers(0, len(text)))
        b = data.draw(st.integers(a, len(text)))
        quotes.append(quote(text, (a, b)))
    rendered = render_answer(Answer("q", True, quotes))
    assert len(rendered) <= MESSAGE_LIMIT
    assert "@everyone" not in rendered and "@here" not in rendered
    assert not re.search(r"<@[!&]?\d+>", rendered)
    assert "```" not in rendered.replace("\\`", "")


def test_lower_ranked_quotes_are_dropped_first():
    sentences = " ".join(f"Sentence number {k} is about the harbour crane." for k in range(14))
    quotes = [quote(sentences, (0, 45), doc=f"d{k}.txt") for k in range(5)]
    rendered = render_answer(Answer("q", True, quotes))
    assert len(rendered) <= MESSAGE_LIMIT
    assert "d0.txt" in rendered and "d4.txt" not in rendered


def test_context_trimmed_by_whole_sentences_keeps_the_answer_bold():
    before = " ".join(f"Context sentence {k} comes before it." for k in range(40))
    focus = "The crane collapsed on Tuesday."
    text = before + " " + focus
    rendered = render_answer(Answer("q", True, [quote(text, (len(before) + 1, len(text)))]), limit=300)
    assert len(rendered) <= 300
    assert "**The crane collapsed on Tuesday.**" in rendered
    body = rendered.split("\n")[0][2:]
    for piece in body.replace("**", "").split(". "):
        assert piece.startswith(("Context sentence", "The crane")), piece  # never cut mid-sentence


def test_escape_neutralises_markup_but_keeps_words():
    escaped = escape("*bold* _it_ `code` ||s|| > quote # title @everyone")
    for word in ("bold", "it", "code", "quote", "title", "everyone"):
        assert word in escaped
    assert "*bold*" not in escaped and "||s||" not in escaped and "@everyone" not in escaped


def test_abstention_renders_plainly_with_the_closest_passage_marked():
    answer = Answer("q", False, [], closest=quote("Nearest text here."), notes=["Nothing matches."])
    rendered = render_answer(answer)
    assert rendered.startswith("**The documents don't say.**")
    assert "not an answer" in rendered
