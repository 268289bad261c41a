"""Everything the campaign saw printed, logged or posted, kept so it can be searched for the bot token.

Sources: log records of every logger (discord.py at DEBUG included, with tracebacks), the standard
output and error of every child process, text printed in-process while the bot ran, and every body
the bot sent to the fake Discord (replies, interaction responses).
"""

from __future__ import annotations

import io
import logging
import sys
import threading
from contextlib import contextmanager
from typing import Iterator


class OutputCapture:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._texts: list[tuple[str, str]] = []

    def add(self, source: str, text: str | bytes | None) -> None:
        if not text:
            return
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        with self._lock:
            self._texts.append((source, text))

    def occurrences(self, secret: str) -> dict[str, int]:
        """How often `secret` appears in each kind of source (empty when it never does)."""
        found: dict[str, int] = {}
        with self._lock:
            texts = list(self._texts)
        for source, text in texts:
            count = text.count(secret)
            if count:
                kind = source.split(":", 1)[0]
                found[kind] = found.get(kind, 0) + count
        return found

    def kinds(self) -> dict[str, int]:
        """How many texts of each kind (log, child, printed, sent) were captured."""
        with self._lock:
            sources = [source.split(":", 1)[0] for source, _ in self._texts]
        return {kind: sources.count(kind) for kind in sorted(set(sources))}

    @property
    def size(self) -> tuple[int, int]:
        """(number of captured texts, characters)."""
        with self._lock:
            return len(self._texts), sum(len(t) for _, t in self._texts)

    @contextmanager
    def logs(self, level: int = logging.DEBUG) -> Iterator[None]:
        """Capture every log record (formatted, with tracebacks) while the block runs."""
        handler = _CaptureHandler(self)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        # sentence-transformers draws a progress bar per query when its logger is at INFO or DEBUG.
        quiet = logging.getLogger("sentence_transformers")
        old_levels = root.level, quiet.level
        root.addHandler(handler)
        root.setLevel(level)
        quiet.setLevel(max(quiet.level, logging.WARNING))
        try:
            yield
        finally:
            root.removeHandler(handler)
            root.setLevel(old_levels[0])
            quiet.setLevel(old_levels[1])

    @contextmanager
    def printed(self, source: str) -> Iterator[None]:
        """Capture what is written to sys.stdout and sys.stderr in this process while the block runs."""
        out, err = io.StringIO(), io.StringIO()
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Tee(old_out, out), _Tee(old_err, err)
        try:
            yield
        finally:
            sys.stdout, sys.stderr = old_out, old_err
            self.add(f"printed:{source}:stdout", out.getvalue())
            self.add(f"printed:{source}:stderr", err.getvalue())


class _CaptureHandler(logging.Handler):
    def __init__(self, capture: OutputCapture) -> None:
        super().__init__(logging.DEBUG)
        self.capture = capture

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.capture.add(f"log:{record.name}", self.format(record))
        except Exception:  # a log record that cannot be formatted must not stop the campaign
            self.handleError(record)


class _Tee(io.TextIOBase):
    """Writes to the real stream (so progress stays visible) and to a buffer."""

    def __init__(self, real: object, copy: io.StringIO) -> None:
        self.real, self.copy = real, copy

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.real.write(text)  # type: ignore[attr-defined]

    def flush(self) -> None:
        self.real.flush()  # type: ignore[attr-defined]

    def isatty(self) -> bool:
        return False
