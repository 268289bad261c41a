"""Sentence splitting that keeps character offsets, so every quote is exactly `text[start:end]`.

Rule-based on purpose: it must handle any folder of text (hard-wrapped or one paragraph per line,
Markdown or plain), never drop a word, and run without a model. The rules:

* A blank line ends a paragraph. In text that is not hard-wrapped, every line break does too.
* In hard-wrapped text a line break ends a sentence only after terminal punctuation or a short line
  (a heading, the last line of a paragraph); otherwise the line continues the sentence.
* Inside a line, `.`, `!`, `?` (with closing quotes or brackets) followed by space and a capital, digit
  or opening quote end a sentence, unless the word before is an abbreviation ("Gen.", "U.S.", "Dec.").
* A sentence longer than `max_chars` is cut at the last clause break or space before the limit.
"""

from __future__ import annotations

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

_TERMINAL = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)|[。！？]+[」』”’)]*")
_SENTENCE_START = re.compile(r"[\"'“‘«(\[]*[^\W_a-z]", re.UNICODE)
_NEXT_SENTENCE_START = re.compile(r"\s*" + _SENTENCE_START.pattern, re.UNICODE)
"""Matched in place: slicing the rest of the block at every period made one-line documents quadratic."""
_INITIALS = re.compile(r"^(?:[A-Za-z]\.)+$")
_LIST_OR_HEADING = re.compile(r"^\s*(?:#{1,6}\s|[-*+•]\s|\d{1,3}[.)]\s|>)")
_CLAUSE = re.compile(r"[;:,—–]\s")
_SPACE = re.compile(r"\s")
_WORD = re.compile(r"\w", re.UNICODE)

WRAP_MIN_LINES = 5
WRAP_MAX_WIDTH = 100
"""Text whose long lines are at most this wide (90th percentile) is treated as hard-wrapped."""


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
    for block_start, block_end, paragraph in _blocks(text):
        for start, end in _split_block(text, block_start, block_end):
            for piece_start, piece_end in _cap_length(text, start, end, max_chars):
                if _WORD.search(text, piece_start, piece_end):
                    line = _line_of(line_starts, piece_start)
                    sentences.append(Sentence(piece_start, piece_end, paragraph, line))
    return sentences


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _line_of(line_starts: list[int], offset: int) -> int:
    import bisect

    return bisect.bisect_right(line_starts, offset)


def _wrap_width(lines: list[str]) -> int | None:
    """The width text is hard-wrapped at, or None when lines are paragraphs of their own."""
    lengths = sorted(len(line.rstrip()) for line in lines if line.strip())
    if len(lengths) < WRAP_MIN_LINES:
        return None
    p90 = lengths[int(0.9 * (len(lengths) - 1))]
    return p90 if 30 <= p90 <= WRAP_MAX_WIDTH else None


def _blocks(text: str) -> list[tuple[int, int, int]]:
    """(start, end, paragraph) ranges of text that no sentence may cross (line and paragraph ends)."""
    lines = text.split("\n")
    width = _wrap_width(lines)
    blocks: list[tuple[int, int, int]] = []
    paragraph = -1
    block_start: int | None = None
    prev_blank = True
    offset = 0
    for i, line in enumerate(lines):
        line_end = offset + len(line)
        if not line.strip():
            if block_start is not None:
                blocks.append((block_start, offset, paragraph))
                block_start = None
            prev_blank = True
        else:
            starts_paragraph = prev_blank or width is None
            if starts_paragraph:
                paragraph += 1
            if block_start is None:
                block_start = offset
            elif starts_paragraph or _line_break_ends_sentence(lines[i - 1], line, width):
                blocks.append((block_start, offset, paragraph if not starts_paragraph else paragraph - 1))
                block_start = offset
            prev_blank = False
        offset = line_end + 1
    if block_start is not None:
        blocks.append((block_start, len(text), paragraph))
    return blocks


def _line_break_ends_sentence(prev: str, line: str, width: int | None) -> bool:
    """In hard-wrapped text: does the break between `prev` and `line` end a sentence?"""
    if width is None or _LIST_OR_HEADING.match(line) or _LIST_OR_HEADING.match(prev):
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
