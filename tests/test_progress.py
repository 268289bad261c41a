"""Progress outside a terminal: a line per stage, then timed lines with count, rate and time left."""

from __future__ import annotations

from bot.terminal.progress import TerminalProgress, format_seconds


def test_log_lines_show_count_rate_and_time_left(capsys):
    progress = TerminalProgress(enabled=False, log_every=0.0)
    progress.stage("embedding", 400, "texts")
    progress.advance(100)
    progress.advance(300)  # finished: no "left" line for the last step
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "embedding: 400 texts", "the stage's own unit, as the summary counts it"
    assert len(lines) == 2
    assert lines[1].startswith("embedding: 100/400 texts (25%), ") and lines[1].endswith(" left")


def test_quiet_between_intervals(capsys):
    progress = TerminalProgress(enabled=False, log_every=3600.0)
    progress.stage("reading", 10, "documents")
    for _ in range(9):
        progress.advance(1)
    assert capsys.readouterr().err.splitlines() == ["reading: 10 documents"]


def test_format_seconds():
    assert format_seconds(5) == "5 s"
    assert format_seconds(125) == "2 min 05 s"
    assert format_seconds(7260) == "2 h 01 min"


def test_time_left_follows_the_recent_rate():
    """Items late in a stage can be slower (paragraphs after sentences): the estimate must use the
    rate of the last minute, not the stage's average, or it promises too early an end."""
    now = [0.0]
    progress = TerminalProgress(enabled=False, log_every=3600.0, clock=lambda: now[0])
    progress.stage("embedding", 400)
    now[0] = 10.0
    progress.advance(100)  # 10 items a second
    now[0] = 70.0
    progress.advance(10)  # then 10 items in a minute
    line = progress.status()
    assert line.startswith("embedding: 110/400 items (28%), 0.2/s, about 29 min 00 s left"), line
