"""Progress bars on standard error for long engine work (rebuilds), fed by the engine's `Progress`
protocol; standard output stays clean for answers and JSON."""

from __future__ import annotations

import sys


class TerminalProgress:
    """One tqdm bar per rebuild stage (reading, embedding, ...), with rate and ETA."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bar = None

    def stage(self, name: str, total: int) -> None:
        self.close()
        if self.enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=f"{name:>14}", unit=" items", file=sys.stderr, dynamic_ncols=True)
        else:
            print(f"{name}: {total}", file=sys.stderr, flush=True)

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
