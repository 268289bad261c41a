"""The web page reader: the main content of an HTML page as paragraphs, its headings as marks.

Kept apart from the other readers because a page needs work of its own and only the standard
library: guessing its encoding, repairing its nesting as a browser would, leaving out scripts and
site chrome, and rendering blocks, lists, tables and `<pre>` as prose. Named `html_page`, not
`html`, so that it can never stand in for the standard library's `html` package.
"""

from __future__ import annotations

import codecs
import re
import textwrap
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Iterable

from index.documents.formats import Block, ExtractionError, _reason, _tidy
from index.documents.formats.html_main import MIN_PAGE_CHARS, article_filter


def read(data: bytes) -> list[Block]:
    """The article of a web page as paragraphs (chosen by `html_main`, else by the page's landmarks);
    headings become marks."""
    try:
        html = _decode_html(data)
        page = _HtmlEvents.parse(html)
        whole = _HtmlBlocks.render(page.all_events())
        in_article = article_filter(html) if sum(len(text) for text, _, _ in whole) >= MIN_PAGE_CHARS else None
        blocks = [block for block in whole if in_article(block[0])] if in_article else []
        if not blocks:
            blocks = _HtmlBlocks.render(page.main_events())
    except Exception as exc:  # html.parser is lenient, but never let a traceback out
        raise ExtractionError(f"not a readable HTML page ({type(exc).__name__}: {_reason(exc)})") from exc
    if page.title and blocks and blocks[0][1] is None and not any(level == 1 for _, _, level in blocks):
        # The page's <title> names the text before its first heading; it is no article text itself
        # (a site name, a tagline), so it is a mark's label, not a paragraph.
        blocks[0] = (blocks[0][0], page.title, 0)
    return [(text, label) for text, label, _ in blocks]


# Decoding


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CHARSET_SNIFF_BYTES = 16384
_WINDOWS_1252_LABELS = {"ascii", "iso8859-1", "latin-1"}
"""As browsers do (WHATWG Encoding): pages labelled ASCII or Latin-1 are really windows-1252."""


def _decode_html(data: bytes) -> str:
    """The page as text: a BOM wins, then a declared charset, then UTF-8, then windows-1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _newlines(data.decode(encoding, errors="replace"))
    declared = _declared_charset(data[:_CHARSET_SNIFF_BYTES])
    for encoding in filter(None, (declared, "utf-8", "cp1252")):
        try:
            return _newlines(data.decode(encoding))
        except (UnicodeDecodeError, LookupError):
            continue
    return _newlines(data.decode("cp1252", errors="replace"))


def _newlines(text: str) -> str:
    """HTML treats CR LF and CR as LF; so does `<pre>` text here."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _declared_charset(head: bytes) -> str | None:
    """The charset a `<meta>` tag or an XML declaration names, as a Python codec name, or None."""
    sniffer = _CharsetSniffer()
    sniffer.feed(head.decode("latin-1"))  # every byte maps to a character: ASCII markup reads right
    return _codec(sniffer.charset) if sniffer.charset else None


def _codec(label: str) -> str | None:
    """A charset label as a Python text codec, or None if Python has no such codec."""
    try:
        info = codecs.lookup(label.strip().strip("\"'"))
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None  # "base64", "rot13"... are codecs but not charsets
    if info.name in _WINDOWS_1252_LABELS:
        return "cp1252"
    if info.name.startswith("utf-16") or info.name.startswith("utf-32"):
        return "utf-8"  # the label was readable as ASCII, so the page is not UTF-16 (WHATWG rule)
    return info.name


def _charset_parameter(value: str) -> str | None:
    """The `charset=...` of a Content-Type value or an XML declaration's `encoding="..."`."""
    lowered = value.lower()
    for key in ("charset=", "encoding="):
        at = lowered.find(key)
        if at >= 0:
            rest = value[at + len(key):].strip().strip("\"'")
            name = rest.split(";")[0].split()[0] if rest.split() else ""
            return name.strip("\"'?") or None
    return None


class _CharsetSniffer(HTMLParser):
    """Finds the first charset declaration in the head of a page, parsing it as HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.charset: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta" or self.charset:
            return
        values = {name: value or "" for name, value in attrs}
        if values.get("charset"):
            self.charset = values["charset"]
        elif values.get("http-equiv", "").lower() == "content-type":
            self.charset = _charset_parameter(values.get("content", ""))

    def handle_pi(self, data: str) -> None:
        if not self.charset and data.lower().startswith("xml"):
            self.charset = _charset_parameter(data)


# Parsing: a stream of start/end/text events for the visible content, nesting repaired


_VOID = frozenset("area base br col embed hr img input keygen link meta param source track wbr".split())
_DROPPED = frozenset(
    "script style noscript template svg math nav footer aside form button iframe object canvas select "
    "textarea dialog title".split())
"""Elements whose text is never content: code, chrome around the article, widgets."""
_DROPPED_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "dialog"})
_SECTIONING = frozenset({"article", "main", "section"})
"""A `<header>` inside these is the article's own (it holds its h1), not the site banner: it stays."""
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_CLOSES_P = frozenset(
    "address article aside blockquote details dialog div dl fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hgroup hr li main menu nav ol p pre section table ul dd dt".split())
_SCOPE = frozenset({"applet", "caption", "html", "table", "td", "th", "marquee", "object", "template", "button"})
_TABLE_PARTS = frozenset({"table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption"})
_IMPLIED_CLOSE: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "li": (frozenset({"li"}), _SCOPE | {"ul", "ol", "menu"}),
    "dt": (frozenset({"dt", "dd"}), _SCOPE | {"dl"}),
    "dd": (frozenset({"dt", "dd"}), _SCOPE | {"dl"}),
    "tr": (frozenset({"tr", "td", "th"}), frozenset({"table", "tbody", "thead", "tfoot", "template", "html"})),
    "td": (frozenset({"td", "th"}), frozenset({"tr", "table", "template", "html"})),
    "th": (frozenset({"td", "th"}), frozenset({"tr", "table", "template", "html"})),
    "option": (frozenset({"option"}), frozenset({"select", "datalist", "optgroup", "html"})),
}
"""An opening tag of the key closes an open element of the first set, looking no further than the
second: `<li>a<li>b` are siblings, as browsers read them, so one hidden item does not swallow the next."""

_MAX_SCAN = 256
"""How deep inside the open elements an end tag looks for its start (real pages nest far less)."""

Event = tuple[str, str]
"""("start", tag), ("end", tag) or ("text", data)."""


@dataclass
class _Open:
    """An element whose end tag has not been seen yet, with what it passes on to its content."""

    tag: str
    dropped: bool
    main: bool
    article: bool
    sectioning: bool
    title: bool


class _HtmlEvents(HTMLParser):
    """Reads a page into the events of its visible content, each tagged with whether it lies inside
    `<main>` or `<article>`, so the main content can be chosen once the whole page is known."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._stack: list[_Open] = [_Open("#root", False, False, False, False, False)]
        self._open_tags: dict[str, int] = {}
        self.events: list[tuple[Event, bool, bool]] = []
        self._title_parts: list[str] = []
        self._title_done = False

    @classmethod
    def parse(cls, text: str) -> _HtmlEvents:
        page = cls()
        page.feed(text)
        page._drop_unfinished_markup()
        page.close()
        while len(page._stack) > 1:
            page._pop()
        return page

    @property
    def title(self) -> str:
        return " ".join("".join(self._title_parts).split())

    def all_events(self) -> list[Event]:
        """Every visible event of the page (scripts, hidden elements and the like left out)."""
        return [event[0] for event in self.events]

    def main_events(self) -> list[Event]:
        """Only `<main>` (or `role="main"`) if the page has one, else only its `<article>`s, else all."""
        for index in (1, 2):
            if any(event[index] for event in self.events):
                return [event[0] for event in self.events if event[index]]
        return [event[0] for event in self.events]

    def _drop_unfinished_markup(self) -> None:
        """Drop a tag or comment still open at the end of the page, as browsers do. Python 3.11's
        `close()` would instead re-scan the rest of the page once per "<" in it: "<a " repeated
        50,000 times took minutes."""
        rest = getattr(self, "rawdata", "")
        if rest.startswith("<") and len(rest) > 1 and not getattr(self, "cdata_elem", None):
            self.rawdata = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._begin(tag, attrs, empty=tag in _VOID)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """`<div/>` (XHTML): an element with no content."""
        self._begin(tag, attrs, empty=True)

    def _begin(self, tag: str, attrs: list[tuple[str, str | None]], empty: bool) -> None:
        self._close_implied(tag)
        parent = self._stack[-1]
        element = self._open(tag, attrs)
        if element.dropped and not parent.dropped and tag in _BLOCKS:
            self._emit(("start", "br"), parent)  # a left-out block still parts the text around it
        self._emit(("start", tag), element)
        if empty:
            self._emit(("end", tag), element)
        else:
            self._stack.append(element)
            self._open_tags[tag] = self._open_tags.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "br":  # `</br>` is read as `<br>` by browsers
            self.handle_startendtag("br", [])
            return
        limits = frozenset() if tag in _TABLE_PARTS else _SCOPE - {tag}
        depth = self._find(frozenset({tag}), limits)
        if depth is not None:
            while len(self._stack) > depth:
                self._pop()

    def handle_data(self, data: str) -> None:
        top = self._stack[-1]
        if top.title and not self._title_done:
            self._title_parts.append(data)
        self._emit(("text", data), top)

    def _open(self, tag: str, attrs: list[tuple[str, str | None]]) -> _Open:
        """The new element, inheriting from its parent whether it is dropped, main or article."""
        parent = self._stack[-1]
        values = {name: (value or "") for name, value in attrs}
        role = values.get("role", "").strip().lower()
        return _Open(
            tag=tag,
            dropped=parent.dropped or _hidden(tag, values, role, parent.sectioning),
            main=parent.main or tag == "main" or role == "main",
            article=parent.article or tag == "article",
            sectioning=parent.sectioning or tag in _SECTIONING or role == "main",
            title=tag == "title" and not parent.dropped,
        )

    def _emit(self, event: Event, element: _Open) -> None:
        if not element.dropped:
            self.events.append((event, element.main, element.article))

    def _pop(self) -> None:
        element = self._stack.pop()
        self._open_tags[element.tag] -= 1
        if element.title:
            self._title_done = True
        self._emit(("end", element.tag), element)

    def _find(self, tags: frozenset[str], limits: frozenset[str]) -> int | None:
        """The stack index of the innermost open element among `tags`, unless one of `limits` is
        open inside it (an end tag or implied close never reaches out of a table cell).

        Only the innermost `_MAX_SCAN` elements are searched, so a page of 100,000 nested tags
        costs linear time, not quadratic."""
        if not any(self._open_tags.get(tag) for tag in tags):
            return None
        for depth in range(len(self._stack) - 1, max(len(self._stack) - 1 - _MAX_SCAN, 0), -1):
            tag = self._stack[depth].tag
            if tag in tags:
                return depth
            if tag in limits:
                return None
        return None

    def _close_implied(self, tag: str) -> None:
        """Close what the opening of `tag` closes in a browser: an open `<p>`, a previous list
        item, cell or row, a heading left open."""
        depths = []
        if tag in _CLOSES_P:
            depths.append(self._find(frozenset({"p"}), _SCOPE))
        if tag in _HEADINGS and self._stack[-1].tag in _HEADINGS:
            depths.append(len(self._stack) - 1)
        if tag in _IMPLIED_CLOSE:
            depths.append(self._find(*_IMPLIED_CLOSE[tag]))
        found = [depth for depth in depths if depth is not None]
        if found:
            while len(self._stack) > min(found):
                self._pop()


def _hidden(tag: str, values: dict[str, str], role: str, in_sectioning: bool) -> bool:
    """Whether an element (and all it contains) is left out of the text."""
    if tag in _DROPPED or role in _DROPPED_ROLES:
        return True
    if tag == "header" and not in_sectioning:
        return True
    if "hidden" in values or values.get("aria-hidden", "").strip().lower() == "true":
        return True
    return "display:none" in values.get("style", "").replace(" ", "").lower()


# Rendering: events to paragraphs


_BLOCKS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset "
    "figcaption figure footer form header hgroup hr html legend li main menu nav ol p pre section "
    "summary table tbody tfoot thead tr ul br".split())
_CELLS = frozenset({"td", "th"})
_HTML_SPACE = re.compile(r"[ \t\n\f]+")
"""What HTML collapses (not the no-break space, which stays)."""
_CELL_SEPARATOR = " | "

HtmlBlock = tuple[str, "str | None", int]
"""A paragraph, its mark label (headings), and its heading level (0: not a heading)."""


class _HtmlBlocks:
    """Turns content events into paragraphs: blocks break paragraphs, inline whitespace collapses,
    `<pre>` keeps its lines, list items start with "- ", table cells of a row are joined by " | "."""

    def __init__(self) -> None:
        self.blocks: list[HtmlBlock] = []
        self._parts: list[str] = []
        self._has_text = False
        self._cell_pending = False
        self._prefix = ""
        self._pre = 0
        self._heading = 0

    @classmethod
    def render(cls, events: Iterable[Event]) -> list[HtmlBlock]:
        renderer = cls()
        for kind, value in events:
            if kind == "text":
                renderer._text(value)
            elif kind == "start":
                renderer._start(value)
            else:
                renderer._end(value)
        renderer._flush()
        return renderer.blocks

    def _start(self, tag: str) -> None:
        if self._pre:
            self._pre += tag == "pre"
            if tag == "br":
                self._parts.append("\n")
        elif self._heading:
            if tag in _BLOCKS:
                self._parts.append(" ")
        elif tag in _HEADINGS:
            self._flush()
            self._heading = int(tag[1])
        elif tag == "pre":
            self._flush()
            self._pre = 1
        elif tag in _CELLS:
            self._cell_pending = self._has_text
        elif tag in _BLOCKS:
            self._flush()
            if tag == "li":
                self._prefix = "- "

    def _end(self, tag: str) -> None:
        if self._pre:
            self._pre -= tag == "pre"
            if not self._pre:
                self._flush_pre()
        elif self._heading:
            if tag in _HEADINGS:
                self._flush_heading()
            elif tag in _BLOCKS:
                self._parts.append(" ")
        elif tag in _BLOCKS:
            self._flush()
            if tag == "li":
                self._prefix = ""

    def _text(self, data: str) -> None:
        if self._pre or self._heading:
            self._parts.append(data)
            return
        if _HTML_SPACE.fullmatch(data):
            self._parts.append(" ")
            return
        if self._cell_pending:
            self._parts.append(_CELL_SEPARATOR)
            self._cell_pending = False
        self._parts.append(data)
        self._has_text = True

    def _take(self) -> str:
        text = "".join(self._parts)
        self._parts = []
        self._has_text = False
        self._cell_pending = False
        return text

    def _flush(self) -> None:
        """End the paragraph being gathered (the first of a list item gets its "- ")."""
        text = _HTML_SPACE.sub(" ", _tidy(self._take())).strip()
        if text:
            self.blocks.append((self._prefix + text, None, 0))
            self._prefix = ""

    def _flush_heading(self) -> None:
        text = _HTML_SPACE.sub(" ", _tidy(self._take())).strip()
        if text:
            self.blocks.append((text, text, self._heading))
        self._heading = 0

    def _flush_pre(self) -> None:
        """A `<pre>` block keeps its lines and their relative indentation (its first newline is
        markup; the indentation all its lines share is the page's, not the code's)."""
        text = self._take()
        text = textwrap.dedent(_tidy(text[1:] if text.startswith("\n") else text)).strip("\n")
        if text.strip():
            self.blocks.append((self._prefix + text, None, 0))
            self._prefix = ""
