"""What a sentence says, without the Markdown that dresses it: the text that is embedded and indexed.

Link targets ("(../integrations/editors.md#pycharm)"), image sources, emphasis markers, heading and list
markers, table bars and backticks are how a file is written, not what it says. Left in, they pull the
embedding towards punctuation and BM25 towards words of file paths. Quotes are never built from this
text: they stay `document[start:end]`.
"""

from __future__ import annotations

import re

_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"\n]*\")?\)")
"""`[label](target "title")` and `![alt](source)`: the label or alt text stays."""
_REFERENCE_LINK = re.compile(r"\[([^\[\]\n]+)\]\[[^\[\]\n]*\]")
_LINE_MARKER = re.compile(r"(?m)^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+•][ \t]+|\d{1,3}[.)][ \t]+)")
_UNDERSCORE_EMPHASIS = re.compile(r"(?<!\w)_(?=[^\s_])((?:[^\n_]|(?<=\w)_(?=\w))*[^\s_])_(?!\w)")
"""`_Black_`: emphasis by single underscores (inside words, as in snake_case, they stay). Neither a label
nor an emphasis spans another opening bracket or underscore (an underscore inside a word opens none), so no match is tried to the end of the text
from every one of a run of them."""
_MARKUP = re.compile(r"\*\*|__|~~|[`*|]")
_SPACES = re.compile(r"[ \t]{2,}")


_ANY_MARKUP = re.compile(r"[\[`*_|~#>•+\-]|\d[.)]|[ \t]{2}")
"""A character every pattern above needs: text without any is only stripped."""


def readable(text: str) -> str:
    """`text` with Markdown link targets and markup removed (plain prose keeps every character but
    runs of spaces)."""
    if not _ANY_MARKUP.search(text):
        return text.strip()
    if "[" in text:  # each pattern runs only where its first character occurs: a document of a
        text = _LINK.sub(r"\1", text)  # hundred thousand list items costs about what prose does
        text = _REFERENCE_LINK.sub(r"\1", text)
    text = _LINE_MARKER.sub("", text)
    if "_" in text:
        text = _UNDERSCORE_EMPHASIS.sub(r"\1", text)
    text = _MARKUP.sub(" ", text)
    return _SPACES.sub(" ", text).strip() if "  " in text or "\t" in text else text.strip()
