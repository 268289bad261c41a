"""Answers as terminal text: quotes best first, the answering sentence emphasised, each with its source.

Only presentation: the quote text comes verbatim from the engine and is never rewritten.
"""

from __future__ import annotations

import re
import textwrap

from index import NOT_ANSWERED, Answer, Quote

BOLD, RESET = "\033[1m", "\033[0m"
_EMPHASIS = r"(?:\*\*|\033\[[01]m)*"
_STRUCTURE = re.compile(_EMPHASIS + r"\s*(?:#{1,6}\s|[-*+•]\s|\d{1,3}[.)]\s|>|\||```|~~~)")
"""Lines that start a line of their own: Markdown headings, list items, quotes, table rows, code fences."""
_ONE_LINE = re.compile(_EMPHASIS + r"\s*(?:#{1,6}\s|\||```|~~~)")
"""Of those, the ones nothing wraps onto (a list item or a quote may go on over several lines)."""
WRAPPED_LINE_MIN_CHARS = 40
"""A line at least this long that does not end a paragraph was wrapped by an editor."""


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Characters a terminal acts on instead of showing: C0 and C1 controls (escape sequences, carriage
return, backspace), line and paragraph separators, and bidirectional overrides."""


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible(text: str, keep: str = "") -> str:
    """`text` with every control character but those in `keep` shown as an escape (`\\x1b`, `\\u202e`), so a
    document or file name cannot recolour the terminal, move the cursor or forge a line of output."""
    def escaped(match: re.Match[str]) -> str:
        char = match.group()
        if char in keep:
            return char
        if char in _NAMED:
            return _NAMED[char]
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"

    return _CONTROL.sub(escaped, text)


def visible_text(text: str) -> str:
    """Document text for the terminal: line breaks and tabs kept, every other control shown escaped."""
    return visible(text, keep="\n\t")


def source_line(quote: Quote) -> str:
    """Where the quote is in the original: page (PDF), section (HTML, .docx) or paragraph and line."""
    if quote.page is not None:
        return f"{visible(quote.doc)}, page {quote.page}"
    if quote.section is not None:
        return f"{visible(quote.doc)}, section “{visible(quote.section)}”"
    return f"{visible(quote.doc)}, paragraph {quote.paragraph} (line {quote.line})"


def emphasise(quote: Quote, ansi: bool) -> str:
    """The quote with its answering sentence in bold (ANSI on a terminal, ** elsewhere); control
    characters of the text shown escaped."""
    start, end = quote.focus
    on, off = (BOLD, RESET) if ansi else ("**", "**")
    text = quote.text
    return visible_text(text[:start]) + on + visible_text(text[start:end]) + off + visible_text(text[end:])


def display_lines(text: str) -> list[str]:
    """The quote's lines as they read: a hard-wrapped paragraph or list item joined into one line;
    blank lines, Markdown structure, code and short lines (verse, addresses) kept as they are."""
    lines: list[str] = []
    joinable = False
    for line in text.splitlines() or [""]:
        code = line.startswith(("    ", "\t"))
        if joinable and line.strip() and not code and not _STRUCTURE.match(line):
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
        joinable = len(line.strip()) >= WRAPPED_LINE_MIN_CHARS and not code and not _ONE_LINE.match(line)
    return lines


def _block(text: str, width: int) -> str:
    lines = []
    for paragraph in display_lines(text):
        wrapped = textwrap.wrap(" ".join(paragraph.split()), width=width - 4) or [""]
        lines.extend("  > " + line for line in wrapped)
    return "\n".join(lines)


def render_answer(answer: Answer, ansi: bool = False, width: int = 100) -> str:
    out = []
    for note in answer.notes if answer.answered else []:
        out.append(f"({visible(note)})")
    if answer.answered:
        for rank, quote in enumerate(answer.quotes, 1):
            out.append(f"{rank}. {source_line(quote)}  [score {quote.score:.2f}]")
            out.append(_block(emphasise(quote, ansi), width))
            out.append("")
    else:
        out.append(NOT_ANSWERED + (" " + visible(" ".join(answer.notes)) if answer.notes else ""))
        if answer.closest is not None:
            out.append("")
            out.append(f"Closest passage (not an answer): {source_line(answer.closest)}")
            out.append(_block(visible_text(answer.closest.text), width))
    return "\n".join(out).rstrip() + "\n"
