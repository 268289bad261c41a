"""Progress on standard error for long engine work (rebuilds), fed by the engine's `Progress` protocol;
standard output stays clean for answers and JSON.

On a terminal each stage is a tqdm bar. Elsewhere (logs, CI, systemd) a bar would be noise, so each stage
prints its start and then a line every `LOG_EVERY_SECONDS` with the count, rate and time left. The
rate is that of the last `RATE_WINDOW_SECONDS`: items late in a stage can be slower (a rebuild embeds
sentences, then windows, then whole paragraphs), and the stage's average would promise too early an end.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from typing import Callable

LOG_EVERY_SECONDS = 10.0
RATE_WINDOW_SECONDS = 60.0


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class TerminalProgress:
    """One tqdm bar per rebuild stage (reading, embedding, ...) on a terminal, timed log lines elsewhere."""

    def __init__(
        self, enabled: bool | None = None, log_every: float = LOG_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.log_every = log_every
        self._clock = clock
        self._bar = None
        self._name = ""
        self._total = self._done = 0
        self._unit = "items"
        self._logged = 0.0
        self._samples: deque[tuple[float, int]] = deque()  # (time, done) over the rate window

    def stage(self, name: str, total: int, unit: str = "items") -> None:
        self.close()
        self._name, self._total, self._done, self._unit = name, total, 0, unit
        self._logged = self._clock()
        self._samples = deque([(self._logged, 0)])
        if self.enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=f"{name:>14}", unit=f" {unit}", file=sys.stderr, dynamic_ncols=True)
        else:
            print(f"{name}: {total:,} {unit}", file=sys.stderr, flush=True)

    def advance(self, n: int) -> None:
        self._done += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = self._clock()
        self._samples.append((now, self._done))
        while len(self._samples) > 2 and self._samples[1][0] <= now - RATE_WINDOW_SECONDS:
            self._samples.popleft()
        if now - self._logged >= self.log_every and 0 < self._done < self._total:
            self._logged = now
            print(self.status(now), file=sys.stderr, flush=True)

    def status(self, now: float | None = None) -> str:
        """"embedding: 5,120/22,765 (22%), 310/s, about 57 s left"; the rate is the recent one."""
        now = self._clock() if now is None else now
        since, done_then = self._samples[0]
        rate = (self._done - done_then) / (now - since) if now > since else 0.0
        line = f"{self._name}: {self._done:,}/{self._total:,} {self._unit} ({100 * self._done / max(self._total, 1):.0f}%)"
        if rate > 0:
            line += f", {rate:,.0f}/s" if rate >= 10 else f", {rate:.1f}/s"
            line += f", about {format_seconds((self._total - self._done) / rate)} left"
        return line

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
