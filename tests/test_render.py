"""Terminal rendering: quotes read as prose (hard wrapping undone), structure kept, words never changed."""

from __future__ import annotations

import re
import textwrap

from bot.terminal.render import display_lines, render_answer
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


def test_control_characters_of_documents_and_file_names_are_shown_escaped():
    """An escape sequence in a document, or a file name with a newline, must not reach the terminal:
    it could recolour it, move the cursor, or forge an answer line."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    from rebuild_index import format_summary

    from index.documents.corpus import Skipped
    from index.storage.builder import RebuildSummary

    text = "The \x1b[2J\x1b[31mferry\x1b[0m left\r at dawn \u202egninrom\u202c.\nIt came back."
    quote = Quote("a\n1. forged.md\x07", 0, len(text), text, 1.0, 1, 1, (0, len(text)))
    for ansi in (False, True):
        rendered = render_answer(Answer("q", True, [quote], notes=["cut\x1b]0;title\x07"]), ansi=ansi)
        raw = rendered.replace("\x1b[1m", "").replace("\x1b[0m", "") if ansi else rendered
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f\u202a-\u202e]", raw), repr(rendered)
        assert "\\x1b[31mferry\\x1b[0m" in rendered and "\\u202e" in rendered
        assert "1. a\\n1. forged.md\\x07, paragraph 1" in rendered, "one source line, not two"
    summary = RebuildSummary(index_dir=Path("i"), added=["new\n  fake.md: ok"],
                             skipped=[Skipped("x\x1b[8mhidden.md", "not UTF-8\r")])
    lines = format_summary(summary).splitlines()
    assert "added (1): new\\n  fake.md: ok" in lines and "  x\\x1b[8mhidden.md: not UTF-8\\r" in lines
    assert not any(re.search("[\x00-\x1f\x7f]", line) for line in lines)
