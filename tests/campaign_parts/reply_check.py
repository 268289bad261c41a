"""What a correct Discord reply is, checked from the outside.

"Renders as the quotes it carries": Discord's markdown treats a backslash before any character that
is not a letter, digit or space as an escape and shows the character; zero-width spaces are
invisible. So the visible text of a quote line is the line with those escapes undone and zero-width
spaces dropped, and it must equal the engine's verbatim quote (whitespace aside; context sentences
may be trimmed, the answering sentence never). Outside the escapes, the only live markup allowed in a
quote is the leading `> ` and the one `**...**` around the answering sentence: any other live `*`,
`_`, `~`, backtick, `|`, `>`, `#`, `[`, `]` or `:`, and no list or heading marker (`1.`, `-`, `#`)
at the start of the line, since those would format the quote in a way the document does not.

"No ping": no raw `@everyone`, `@here`, `<@id>`, `<@!id>`, `<@&id>` or `<#id>` in the content, the
POSTed `allowed_mentions` is `{"parse": []}` without `replied_user`, and the message Discord stored
mentions nobody.
"""

from __future__ import annotations

import re

from index.answer import NOT_ANSWERED, Answer, Quote

LIMIT = 2000
RAW_MENTION = re.compile(r"@everyone|@here|<@[!&]?\d+>|<#\d+>")
_ESCAPE = re.compile(r"\\([^0-9A-Za-z\s])")
_LIVE = frozenset("*_~`|>#[]:\\")
ZERO_WIDTH_SPACE = "\u200b"
_SOURCE = re.compile(r"^— (?P<doc>.*), (?:paragraph (?P<paragraph>\d+) \(line (?P<line>\d+)\)"
                     r"|page (?P<page>\d+)|section “(?P<section>.*)”)$")
_CLOSEST = "\n\n_Closest passage (not an answer):_\n"
_LINE_START = re.compile(r"^\s*([-+*]|\d+[.)]|#{1,3}|-#)(?=\s|$)")
"""A list item, heading or subtext marker at the start of a line (inside a block quote too)."""


def visible(markdown: str) -> str:
    """The text Discord shows for escaped markdown: escapes undone, zero-width spaces dropped."""
    return _ESCAPE.sub(r"\1", markdown).replace(ZERO_WIDTH_SPACE, "")


def live_markup(markdown: str) -> list[tuple[int, str]]:
    """(position, character) of every markdown character that is not escaped."""
    found = []
    index = 0
    while index < len(markdown):
        char = markdown[index]
        if char == "\\" and index + 1 < len(markdown) and _ESCAPE.match(markdown, index):
            index += 2
            continue
        if char in _LIVE:
            found.append((index, char))
        index += 1
    return found


def _squash(text: str) -> str:
    """Text compared without whitespace or zero-width spaces (the renderer joins lines with spaces)."""
    return "".join(text.replace(ZERO_WIDTH_SPACE, "").split())


def ping_problems(content: str, request_body: dict | None, message: dict | None) -> list[str]:
    problems = []
    raw = RAW_MENTION.search(content)
    if raw:
        problems.append(f"raw mention {raw.group()!r} in the reply")
    if request_body is not None:
        allowed = request_body.get("allowed_mentions")
        if not allowed or allowed.get("parse") != [] or allowed.get("replied_user") or allowed.get("users") or allowed.get("roles"):
            problems.append(f"allowed_mentions is {allowed!r}, not {{'parse': []}}")
    if message is not None and (message.get("mentions") or message.get("mention_roles") or message.get("mention_everyone")):
        problems.append("the stored message mentions someone")
    return problems


def quote_block_problems(block: str, quote: Quote) -> list[str]:
    """Problems of one rendered quote (`> body` then `— source`) against the engine's quote."""
    lines = block.split("\n")
    if len(lines) != 2 or not lines[0].startswith("> "):
        return [f"quote block is not a one-line block quote and a source line: {block[:120]!r}"]
    body, source = lines[0][2:], lines[1]
    problems = []
    marker = _LINE_START.match(body)
    if marker:
        problems.append(f"the quote line starts with live markup {marker.group(1)!r} (a list or heading)")
    live = live_markup(body)
    start, end = quote.focus
    focus_text = quote.text[start:end]
    if focus_text.strip():
        stars = [p for p, c in live if c == "*"]
        others = [(p, c) for p, c in live if c != "*"]
        if len(stars) != 4 or stars[1] != stars[0] + 1 or stars[3] != stars[2] + 1 or others:
            problems.append(f"live markup other than one **bold** pair in the quote: {live[:8]}")
        else:
            bold = body[stars[1] + 1:stars[2]]
            if _squash(visible(bold)) != _squash(focus_text):
                problems.append(f"bold part shows {visible(bold)[:80]!r}, not the answering sentence {focus_text[:80]!r}")
            body = body[:stars[0]] + body[stars[1] + 1:stars[2]] + body[stars[3] + 1:]
    elif live:
        problems.append(f"live markup in the quote: {live[:8]}")
    shown = _squash(visible(body))
    if shown not in _squash(quote.text) or _squash(focus_text) not in shown:
        problems.append(f"quote shows {visible(body)[:100]!r}, which is not the verbatim quote {quote.text[:100]!r}")
    match = _SOURCE.match(source)
    if not match:
        problems.append(f"source line malformed: {source[:120]!r}")
    else:
        if live_markup(match["doc"]):
            problems.append(f"live markup in the source name: {match['doc'][:80]!r}")
        if _squash(visible(match["doc"])) != _squash(quote.doc):
            problems.append(f"source shows {visible(match['doc'])!r}, not {quote.doc!r}")
        if quote.page is not None:
            if match["page"] is None or int(match["page"]) != quote.page:
                problems.append("source page differs from the engine's")
        elif quote.section is not None:
            if match["section"] is None or _squash(visible(match["section"])) != _squash(quote.section):
                problems.append("source section differs from the engine's")
        elif match["paragraph"] is None or (int(match["paragraph"]), int(match["line"])) != (quote.paragraph, quote.line):
            problems.append("source paragraph/line differ from the engine's")
    return problems


def reply_problems(content: str, answer: Answer) -> list[str]:
    """Formatting problems of a reply to `answer` (empty when it renders as the quotes it carries)."""
    if not content or len(content) > LIMIT:
        return [f"reply length {len(content)} outside 1..{LIMIT}"]
    if "```" in content.replace("\\`", ""):
        return ["an unescaped code fence in the reply"]
    if not answer.answered:
        return _abstention_problems(content, answer)
    lines = content.split("\n")
    header, body = lines[: len(answer.notes)], "\n".join(lines[len(answer.notes):])
    for line, note in zip(header, answer.notes):
        inner = line[1:-1] if len(line) >= 2 and line[0] == line[-1] == "_" else None
        if inner is None or live_markup(inner) or _squash(visible(inner)) != _squash(note):
            return [f"note line {line[:100]!r} is not the engine's note {note!r} in italics"]
    if body == f"**{NOT_ANSWERED}**":
        return []  # not even the best answering sentence fits: said so plainly
    blocks = body.split("\n\n")
    if not 1 <= len(blocks) <= len(answer.quotes):
        return [f"{len(blocks)} quote blocks for {len(answer.quotes)} quotes"]
    problems = []
    for block, quote in zip(blocks, answer.quotes):
        problems.extend(quote_block_problems(block, quote))
    return problems


def _abstention_problems(content: str, answer: Answer) -> list[str]:
    head, _, closest = content.partition(_CLOSEST)
    problems = []
    if not head.startswith(f"**{NOT_ANSWERED}**"):
        problems.append(f"abstention does not start with the plain refusal: {content[:80]!r}")
    notes = head[len(NOT_ANSWERED) + 4:]
    if live_markup(notes) or _squash(visible(notes)) != _squash(" ".join(answer.notes)):
        problems.append(f"abstention notes differ from the engine's: {notes[:120]!r}")
    if closest:
        if answer.closest is None:
            problems.append("a closest passage shown that the engine did not give")
        else:
            problems.extend(quote_block_problems(closest, answer.closest))
    return problems
