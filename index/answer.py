"""What the engine returns: an `Answer` made of verbatim `Quote`s.

Every quote's `text` is exactly `document[start:end]` of the indexed document (for a PDF, HTML or .docx
file: of the text extracted from it, which the index stores); front-ends render these and never build
quote text themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Quote:
    """A verbatim passage of one document, with where it is and which part of it answers."""

    doc: str
    """Path of the document relative to the corpus root."""
    start: int
    end: int
    """Character offsets into the document's text: `text == document[start:end]`."""
    text: str
    score: float
    """The ranker's confidence that this passage answers, between 0 and 1."""
    line: int
    """1-based line of the document where the quote starts."""
    paragraph: int
    """1-based paragraph of the document where the quote starts."""
    focus: tuple[int, int]
    """The answering sentence, as offsets into `text` (the rest is context around it)."""
    page: int | None = None
    """PDF: the page of the original file the quote starts on (1-based)."""
    section: str | None = None
    """HTML and .docx: the heading the quote is under in the original file."""

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "doc": self.doc,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "score": round(self.score, 4),
            "line": self.line,
        }
        if self.page is not None:
            data["page"] = self.page
        if self.section is not None:
            data["section"] = self.section
        return data


@dataclass(frozen=True)
class Answer:
    """The quotes that answer a question, best first; or, when `answered` is false, none."""

    question: str
    answered: bool
    quotes: list[Quote]
    closest: Quote | None = None
    """When not answered: the nearest passage found, to show labelled as not an answer."""
    notes: list[str] = field(default_factory=list)
    """Things the asker should know, e.g. that an over-long question was cut."""
    index: str = ""
    """The index version the quotes were cut from (its folder name in `INDEX_DIR`)."""
    reading: str = ""
    """A follow-up as it was read in the context of the question before it ("" when read alone)."""

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "question": self.question,
            "answered": self.answered,
            "quotes": [quote.as_json() for quote in self.quotes],
        }
        if self.closest is not None:
            data["closest"] = self.closest.as_json()
        if self.notes:
            data["notes"] = list(self.notes)
        if self.reading:
            data["reading"] = self.reading
        if self.index:
            data["index"] = self.index
        return data


NOT_ANSWERED = "The documents don't say."
