"""Documents built to stall a text pipeline, and the timing of the build's text steps on them.

Each generator returns text of about `size` characters. The cases are the ones that make rule-based
splitters and regular expressions quadratic or worse: runs of punctuation, hyphen chains, one giant
line, a word without spaces, deep nesting (brackets, quotes, lists, links, emphasis), and a line per
word (the most sentences a document of that size can have). Ordinary prose of the same size, from the
default corpus, is the yardstick: `time_ratios` gives each case's time over the prose time.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from index.config import PROJECT_ROOT
from index.documents.analysis import TEXT_STEPS, analyse
from index.documents.units import MAX_SENTENCE_CHARS

PROSE_CASE = "ordinary prose"


def _repeat(piece: str, size: int) -> str:
    return (piece * (size // len(piece) + 1))[:size]


def prose(size: int) -> str:
    """The default corpus's documents, repeated to `size` characters."""
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted((PROJECT_ROOT / "corpus").glob("*.txt")))
    return _repeat(text + "\n\n", size)


def _words_per_line(size: int) -> str:
    words = ["alpha", "Bravo", "charlie", "delta-9", "Echo.", "fox", "golf?", "hotel"]
    return _repeat("".join(f"{w}{i}\n" for i, w in enumerate(words * 50)), size)


HOSTILE_DOCUMENTS: dict[str, Callable[[int], str]] = {
    PROSE_CASE: prose,
    "a line of dots": lambda n: "." * n,
    "a line of ?!": lambda n: _repeat("?!", n),
    "spaced dots": lambda n: _repeat(". ", n),
    "ellipses before capitals": lambda n: _repeat("... A", n),
    "initials A. A. A.": lambda n: _repeat("A. ", n),
    "hyphen chain A-A-A": lambda n: _repeat("A-", n),
    "hyphen chain a-b-c": lambda n: _repeat("a-b-", n),
    "capitalised words": lambda n: _repeat("Alpha Of Beta ", n),
    "one giant line of prose": lambda n: prose(n).replace("\n", " "),
    "no spaces": lambda n: _repeat("abcdefghij", n),
    "one word of one letter": lambda n: "a" * n,
    "nested brackets": lambda n: "(" * (n // 2) + "a" + ")" * (n // 2),
    "unclosed link labels [a": lambda n: _repeat("[a", n),
    "nested links": lambda n: _repeat("![a](", n),
    "emphasis _a": lambda n: _repeat("_a ", n),
    "stars": lambda n: _repeat("*a", n),
    "nested quotes": lambda n: _repeat("> ", n - 1) + "a",
    "nested lists": lambda n: _repeat("".join(" " * (2 * i) + "- item\n" for i in range(60)), n),
    "table bars": lambda n: _repeat("|a", n),
    "code fences": lambda n: _repeat("```\na\n", n),
    "a word per line": _words_per_line,
    "a heading per line": lambda n: _repeat("# a\n", n),
    "a list item per line": lambda n: _repeat("1. a\n", n),
    "CJK sentences": lambda n: _repeat("中文。", n),
    "combining accents": lambda n: _repeat("a\u0301", n),
    "only whitespace": lambda n: " " * (n - 1) + "a",
}


def time_text_steps(text: str, repeats: int = 1) -> tuple[float, dict[str, float], int]:
    """Best total seconds over `repeats` runs of the build's text steps, the slowest run's seconds per
    step, and the number of sentences."""
    best = float("inf")
    steps: dict[str, float] = {}
    sentences = 0
    for _ in range(repeats):
        started = time.perf_counter()
        analysis = analyse(text, MAX_SENTENCE_CHARS)
        total = time.perf_counter() - started
        if total < best:
            best, steps, sentences = total, analysis.seconds, len(analysis.sentences)
    return best, steps, sentences


def time_ratios(size: int, repeats: int = 1, say: Callable[[str], None] = lambda _: None) -> list[tuple[str, float, float, str, int]]:
    """(case, seconds, ratio to prose, slowest step, sentences) for every case, prose first."""
    rows = []
    prose_seconds = 0.0
    for name, make in HOSTILE_DOCUMENTS.items():
        say(f"text steps: {name}")
        seconds, steps, sentences = time_text_steps(make(size), repeats)
        if name == PROSE_CASE:
            prose_seconds = seconds
        slowest = max(TEXT_STEPS, key=lambda step: steps.get(step, 0.0))
        rows.append((name, seconds, seconds / prose_seconds, slowest, sentences))
    return rows


def write_documents(folder: Path, size: int) -> list[Path]:
    """Every case as a `.txt` file in `folder` (the file name is the case, made safe)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in HOSTILE_DOCUMENTS.items():
        path = folder / ("".join(c if c.isalnum() else "-" for c in name) + ".txt")
        path.write_text(make(size), encoding="utf-8")
        paths.append(path)
    return paths
