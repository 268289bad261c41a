"""Answers as Discord messages: each quote a block quote with the answering sentence in bold and its
source below, always inside Discord's 2,000-character limit, with nothing that can ping or break out
of the formatting.

Quote text is only escaped and, when space runs out, shortened by whole sentences of context: the
words shown are the document's words.
"""

from __future__ import annotations

import re

import discord

from index import NOT_ANSWERED, Answer, Quote

MESSAGE_LIMIT = 2000
_LINE_START_MARKUP = re.compile(r"^(\s*)(?:([-+])|(\d+)([.)]))(?=\s|$)", re.MULTILINE)
"""A list marker at a line start (`#` and `*` are escaped with the other markdown characters)."""
_MARKDOWN = re.compile(r"([\\*_~`|>\[\]#:])")
_ANY_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)\]]*(?=\s)")
"""Where a sentence ends: after its full stop and any closing quotes or brackets, before a space."""


def escape(text: str) -> str:
    """Text that renders as itself: markdown, mentions and line-start markup neutralised."""
    text = " ".join(text.split())  # one line: newlines would end the block quote
    text = _MARKDOWN.sub(r"\\\1", text)  # every markdown character, URLs included
    text = discord.utils.escape_mentions(text)
    text = _ANY_MENTION.sub(lambda m: f"<{m.group(1)}\u200b{m.group(2)}>", text)
    text = text.replace("@", "@\u200b") if "@everyone" in text or "@here" in text else text
    return _LINE_START_MARKUP.sub(_escape_list_marker, text)


def _escape_list_marker(match: re.Match[str]) -> str:
    """`- x` -> `\\- x`, `1. x` -> `1\\. x`: a backslash only escapes punctuation (`\\1.` would show it)."""
    indent, bullet, number, dot = match.groups()
    return indent + ("\\" + bullet if bullet else number + "\\" + dot)


def source_line(quote: Quote) -> str:
    if quote.page is not None:
        return f"— {escape(quote.doc)}, page {quote.page}"
    if quote.section is not None:
        return f"— {escape(quote.doc)}, section “{escape(quote.section)}”"
    return f"— {escape(quote.doc)}, paragraph {quote.paragraph} (line {quote.line})"


def _sentences(text: str) -> list[str]:
    """Context split at sentence ends (for trimming whole sentences, never mid-word); closing quotes
    and brackets stay with their sentence."""
    cuts = [match.end() for match in _SENTENCE_END.finditer(text)]
    pieces = (text[start:end].strip() for start, end in zip([0, *cuts], [*cuts, len(text)]))
    return [piece for piece in pieces if piece]


def render_quote(quote: Quote, keep_before: int | None = None, keep_after: int | None = None) -> str:
    """A block quote with the answering sentence bold; `keep_*` limit the context sentences kept."""
    start, end = quote.focus
    before = _sentences(quote.text[:start])
    after = _sentences(quote.text[end:])
    if keep_before is not None:
        before = before[len(before) - keep_before:] if keep_before else []
    if keep_after is not None:
        after = after[:keep_after]
    focus = escape(quote.text[start:end])
    parts = [escape(" ".join(before))] if before else []
    parts.append(f"**{focus}**" if focus else "")
    if after:
        parts.append(escape(" ".join(after)))
    return "> " + " ".join(p for p in parts if p) + "\n" + source_line(quote)


def _fitted_quote(quote: Quote, budget: int) -> str | None:
    """The quote with as much context as fits in `budget` characters, or None if not even its
    answering sentence does."""
    start, end = quote.focus
    n_before = len(_sentences(quote.text[:start]))
    n_after = len(_sentences(quote.text[end:]))
    while True:
        text = render_quote(quote, n_before, n_after)
        if len(text) <= budget:
            return text
        if n_before == 0 and n_after == 0:
            return None
        if n_before >= n_after:
            n_before -= 1
        else:
            n_after -= 1


def render_answer(answer: Answer, limit: int = MESSAGE_LIMIT) -> str:
    """The whole reply as one message of at most `limit` characters."""
    if not answer.answered:
        text = f"**{NOT_ANSWERED}** " + " ".join(escape(n) for n in answer.notes)
        if answer.closest is not None:
            closest = _fitted_quote(answer.closest, limit - len(text) - 40)
            if closest:
                text += "\n\n_Closest passage (not an answer):_\n" + closest
        return text[:limit]
    header = "".join(f"_{escape(n)}_\n" for n in answer.notes)
    blocks: list[str] = []
    used = len(header)
    for quote in answer.quotes:
        budget = limit - used - (2 if blocks else 0)
        block = _fitted_quote(quote, budget)
        if block is None:
            break  # lower-ranked quotes are dropped first
        blocks.append(block)
        used += len(block) + (2 if len(blocks) > 1 else 0)
    if not blocks:
        return (header + f"**{NOT_ANSWERED}**")[:limit]
    return header + "\n\n".join(blocks)
