"""Sentence splitting that keeps character offsets, so every quote is exactly `text[start:end]`.

Rule-based on purpose: it must handle any folder of text (hard-wrapped or one paragraph per line,
Markdown or plain), never drop a word, and run without a model. The rules:

* A blank line ends a paragraph. In text that is not hard-wrapped, every line break does too. Text
  is hard-wrapped when its prose lines (tables and code aside) are at most `WRAP_MAX_WIDTH` wide and
  many of its line breaks fall mid-sentence.
* In hard-wrapped text a line break ends a sentence only after terminal punctuation or a short line
  (a heading, the last line of a paragraph), before a Markdown heading, list item, quote, table row or
  code fence, and after a heading, table row or fence; otherwise the line continues the sentence.
* A fenced code block (up to its closing fence; an unclosed one, up to a blank line) is one sentence,
  cut like any other where it is longer than `max_chars`.
* Inside a line, `.`, `!`, `?` (with closing quotes or brackets) followed by space and a capital, digit
  or opening quote end a sentence, unless the word before is an abbreviation ("Gen.", "U.S.", "Dec.").
* A sentence longer than `max_chars` is cut at the last clause break or space before the limit.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof gen adm lt col maj sgt capt cmdr gov sen rep pres amb sec rev hon fr st jr sr
    vs etc inc ltd co corp dept univ assn bros no nos vol fig figs ed eds approx est al cf ca op pp
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thurs fri sat sun mt ft ave blvd
    """.split()
)
"""Words that end in a period without ending the sentence (lower case, period removed)."""

_TERMINAL = re.compile(r"(?<![.!?…])[.!?…]++[\"'”’»)\]]*+(?=\s)|(?<![。！？])[。！？]++[」』”’)]*+")
"""Matched only from the start of a punctuation run, and without backtracking into it: a line of a
million dots is read once, not once per dot."""
_SENTENCE_START = re.compile(r"[\"'“‘«(\[]*[^\W_a-z]", re.UNICODE)
_NEXT_SENTENCE_START = re.compile(r"\s*" + _SENTENCE_START.pattern, re.UNICODE)
"""Matched in place: slicing the rest of the block at every period made one-line documents quadratic."""
_INITIALS = re.compile(r"^(?:[A-Za-z]\.)+$")
_LIST_OR_HEADING = re.compile(r"^\s*(?:#{1,6}\s|[-*+•]\s|\d{1,3}[.)]\s|>|\||```|~~~)")
"""Lines that start a sentence in any text: Markdown headings, list items, quotes, table rows, code fences."""
_FENCE = re.compile(r"^\s*(?:```|~~~)")
_ONE_LINE = re.compile(r"^\s*(?:#{1,6}\s|\||```|~~~)")
"""Of those, the ones that end at their line end too (a list item or a quote may wrap onto the next)."""
_TABLE_OR_CODE = re.compile(r"^(?:\s*(?:\||```|~~~)| {4}|\t)")
_ENDS_WITH_TERMINAL = re.compile(r"[.!?…:;][\"'”’)\]]*$")
_CLAUSE = re.compile(r"[;:,—–]\s")
_SPACE = re.compile(r"\s")
_WORD = re.compile(r"\w", re.UNICODE)

WRAP_MIN_LINES = 5
WRAP_MAX_WIDTH = 160
"""Text whose long prose lines are at most this wide (90th percentile) may be hard-wrapped."""
WRAP_MIN_CONTINUED = 0.3
"""Share of line breaks inside paragraphs that must fall mid-sentence for text to be hard-wrapped."""


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence as offsets into its document's text, with where it sits for citing it."""

    start: int
    end: int
    paragraph: int
    """0-based paragraph number within the document."""
    line: int
    """1-based line number of the sentence's first character."""


def split_sentences(text: str, max_chars: int = 500) -> list[Sentence]:
    """Split `text` into sentences; each is stripped of surrounding space and holds a word character.

    Every word character of `text` lies inside exactly one sentence, and no sentence is longer than
    `max_chars` characters.
    """
    if max_chars < 20:
        raise ValueError("max_chars must be at least 20")
    sentences: list[Sentence] = []
    line_starts = _line_starts(text)
    for block_start, block_end, paragraph, is_code in _blocks(text):
        spans = [_strip(text, block_start, block_end)] if is_code else _split_block(text, block_start, block_end)
        for start, end in (span for span in spans if span is not None):
            for piece_start, piece_end in _cap_length(text, start, end, max_chars):
                if _WORD.search(text, piece_start, piece_end):
                    line = _line_of(line_starts, piece_start)
                    sentences.append(Sentence(piece_start, piece_end, paragraph, line))
    return sentences


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _line_of(line_starts: list[int], offset: int) -> int:
    return bisect.bisect_right(line_starts, offset)


def _wrap_width(lines: list[str]) -> int | None:
    """The width text is hard-wrapped at, or None when lines are paragraphs of their own.

    Width alone misleads both ways: Markdown wrapped at 100-120 columns has tables far wider, and a
    file of short one-line paragraphs is narrow. So tables and code are left out of the width, and
    the breaks between two prose lines of one paragraph must often fall mid-sentence (after a long
    line with no closing punctuation), as they do where an editor wrapped the text.
    """
    prose = [line.rstrip() if line.strip() and not _TABLE_OR_CODE.match(line) else "" for line in lines]
    lengths = sorted(len(line) for line in prose if line)
    if len(lengths) < WRAP_MIN_LINES:
        return None
    p90 = lengths[int(0.9 * (len(lengths) - 1))]
    if not 30 <= p90 <= WRAP_MAX_WIDTH:
        return None
    breaks = continued = 0
    for prev, line in zip(prose, prose[1:]):
        if not prev or not line or _LIST_OR_HEADING.match(prev) or _LIST_OR_HEADING.match(line):
            continue
        breaks += 1
        continued += len(prev) >= 0.6 * p90 and not _ENDS_WITH_TERMINAL.search(prev)
    return p90 if breaks and continued >= WRAP_MIN_CONTINUED * breaks else None


def _closing_fences(lines: list[str]) -> dict[int, int]:
    """Line of each opening code fence -> line of the fence that closes it (unclosed ones left out)."""
    closing: dict[int, int] = {}
    opened: int | None = None
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            if opened is None:
                opened = i
            else:
                closing[opened], opened = i, None
    return closing


def _blocks(text: str) -> list[tuple[int, int, int, bool]]:
    """(start, end, paragraph, is_code) ranges of text that no sentence may cross (line and paragraph
    ends). A fenced code block is one block of code, blank lines and all, up to its closing fence (an
    unclosed fence, up to the next blank line)."""
    lines = text.split("\n")
    width = _wrap_width(lines)
    closing = _closing_fences(lines)
    blocks: list[tuple[int, int, int, bool]] = []
    paragraph = -1
    block_start: int | None = None
    block_code = False
    code_until = -1
    """Last line of the code block being read (-1: none; len(lines): until a blank line)."""
    prev_blank = True
    offset = 0
    for i, line in enumerate(lines):
        line_end = offset + len(line)
        if i <= code_until and (line.strip() or code_until < len(lines)):
            if i == code_until:
                code_until = -1
        elif not line.strip():
            if block_start is not None:
                blocks.append((block_start, offset, paragraph, block_code))
                block_start = None
            prev_blank = True
            code_until = -1
        else:
            starts_paragraph = prev_blank or width is None
            if starts_paragraph:
                paragraph += 1
            fence = bool(_FENCE.match(line))
            if block_start is None:
                block_start, block_code = offset, fence
            elif starts_paragraph or fence or block_code or _line_break_ends_sentence(lines[i - 1], line, width):
                blocks.append((block_start, offset, paragraph if not starts_paragraph else paragraph - 1, block_code))
                block_start, block_code = offset, fence
            if fence:
                code_until = closing.get(i, len(lines))
            prev_blank = False
        offset = line_end + 1
    if block_start is not None:
        blocks.append((block_start, len(text), paragraph, block_code))
    return blocks


def _line_break_ends_sentence(prev: str, line: str, width: int | None) -> bool:
    """In hard-wrapped text: does the break between `prev` and `line` end a sentence?"""
    if width is None or _LIST_OR_HEADING.match(line) or _ONE_LINE.match(prev):
        return True
    stripped = prev.rstrip()
    if len(stripped) < 0.6 * width:
        return True
    return bool(re.search(r"[.!?…:;][\"'”’)\]]*$", stripped)) and bool(_SENTENCE_START.match(line.lstrip()))


def _split_block(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside one block, stripped of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    sentence_start = start
    for match in _TERMINAL.finditer(text, start, end):
        cut = match.end()
        if not _ends_sentence(text, match, end):
            continue
        spans.append((sentence_start, cut))
        sentence_start = cut
    spans.append((sentence_start, end))
    return [span for span in (_strip(text, s, e) for s, e in spans) if span is not None]


def _ends_sentence(text: str, match: re.Match[str], block_end: int) -> bool:
    """Whether the terminal punctuation in `match` really ends a sentence."""
    punct = match.group()
    if punct[0] in "。！？":
        return True
    if not _NEXT_SENTENCE_START.match(text, match.end(), block_end):
        return False
    if not punct.startswith(".") or punct.startswith(".."):
        return True
    word_start = match.start()
    while word_start > 0 and not text[word_start - 1].isspace():  # any space: "Gen." may open a line
        word_start -= 1
    word = text[word_start:match.start() + 1].lstrip("\"'“‘«([")
    if _INITIALS.match(word):
        return False
    return word[:-1].lower() not in ABBREVIATIONS


def _strip(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _cap_length(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence so each piece fits `max_chars`: at the last clause break in the second
    half of the window, else at the last space, else (one enormous word) at the limit itself."""
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        limit = start + max_chars
        window = text[start + max_chars // 2:limit]
        clause = max((m.end() for m in _CLAUSE.finditer(window)), default=0)
        space = max((m.end() for m in _SPACE.finditer(window)), default=0)
        offset = clause or space
        cut = start + max_chars // 2 + offset if offset else limit
        piece = _strip(text, start, cut)
        if piece is not None:
            pieces.append(piece)
        rest = _strip(text, cut, end)
        if rest is None:
            return pieces
        start = rest[0]
    pieces.append((start, end))
    return pieces
