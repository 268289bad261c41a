"""Terminal rendering: quotes read as prose (hard wrapping undone), structure kept, words never changed."""

from __future__ import annotations

import re
import textwrap

from bot.render import display_lines, render_answer
from index.answer import Answer, Quote

PROSE = (
    "The harbour ferry was cancelled because the old crane collapsed during the storm that also flooded "
    "the road to the station. Engineers expect repairs to take three weeks."
)


def _quote(text: str) -> Quote:
    return Quote(doc="notes.md", start=0, end=len(text), text=text, score=1.0, line=1, paragraph=1, focus=(0, len(text)))


def test_a_hard_wrapped_paragraph_reads_as_one_line():
    assert display_lines(textwrap.fill(PROSE, 60)) == [PROSE]


def test_markdown_structure_and_code_keep_their_lines():
    text = "## Timetable\n\n- Monday: no ferry\n- Tuesday: a small boat from the north pier\n\n```sh\nferry-status --all\nferry-status --route north\n```"
    assert display_lines(text) == text.split("\n")


def test_a_wrapped_list_item_is_joined_but_the_next_item_is_not():
    first, rest = "- The ferry to the island was cancelled because the old crane", "collapsed during the storm"
    text = f"{first}\n  {rest}\n- The café stays open."
    assert display_lines(text) == [f"{first} {rest}", "- The café stays open."]


def test_rendering_keeps_every_word_in_order():
    text = "# Ferry notes\n\n" + textwrap.fill(PROSE, 50) + "\n\n| route | status |\n| north | cancelled |"
    rendered = render_answer(Answer("why was the ferry cancelled?", True, [_quote(text)]))
    quoted = " ".join(line[4:] for line in rendered.splitlines() if line.startswith("  > "))
    assert re.sub(r"\*\*", "", quoted).split() == text.split()
