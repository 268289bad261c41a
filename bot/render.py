"""Answers as terminal text: quotes best first, the answering sentence emphasised, each with its source.

Only presentation: the quote text comes verbatim from the engine and is never rewritten.
"""

from __future__ import annotations

import textwrap

from index.answer import NOT_ANSWERED, Answer, Quote

BOLD, RESET = "\033[1m", "\033[0m"


def source_line(quote: Quote) -> str:
    return f"{quote.doc}, paragraph {quote.paragraph} (line {quote.line})"


def emphasise(quote: Quote, ansi: bool) -> str:
    """The quote with its answering sentence in bold (ANSI on a terminal, ** elsewhere)."""
    start, end = quote.focus
    on, off = (BOLD, RESET) if ansi else ("**", "**")
    return quote.text[:start] + on + quote.text[start:end] + off + quote.text[end:]


def _block(text: str, width: int) -> str:
    lines = []
    for paragraph in text.splitlines() or [""]:
        wrapped = textwrap.wrap(" ".join(paragraph.split()), width=width - 4) or [""]
        lines.extend("  > " + line for line in wrapped)
    return "\n".join(lines)


def render_answer(answer: Answer, ansi: bool = False, width: int = 100) -> str:
    out = []
    for note in answer.notes if answer.answered else []:
        out.append(f"({note})")
    if answer.answered:
        for rank, quote in enumerate(answer.quotes, 1):
            out.append(f"{rank}. {source_line(quote)}  [score {quote.score:.2f}]")
            out.append(_block(emphasise(quote, ansi), width))
            out.append("")
    else:
        out.append(NOT_ANSWERED + (" " + " ".join(answer.notes) if answer.notes else ""))
        if answer.closest is not None:
            out.append("")
            out.append(f"Closest passage (not an answer): {source_line(answer.closest)}")
            out.append(_block(answer.closest.text, width))
    return "\n".join(out).rstrip() + "\n"
