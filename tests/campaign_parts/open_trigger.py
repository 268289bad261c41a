"""Run an action the moment another process opens a file (Linux inotify, through ctypes).

The corpus part uses it to delete and rewrite documents after the rebuild has listed them but before
it reads them, deterministically: the rebuild reads files in sorted order, so when it opens the first
one, the last ones are still to be read.
"""

from __future__ import annotations

import ctypes
import os
import select
import threading
from pathlib import Path
from typing import Callable

IN_OPEN = 0x20


class OnFirstOpen:
    """`with OnFirstOpen(path, action):` calls `action()` once, when `path` is next opened."""

    def __init__(self, path: Path, action: Callable[[], None]) -> None:
        self.path, self.action = path, action
        self.fired = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fd = -1

    def __enter__(self) -> "OnFirstOpen":
        libc = ctypes.CDLL(None, use_errno=True)
        self._fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0 or libc.inotify_add_watch(self._fd, os.fsencode(self.path), IN_OPEN) < 0:
            raise OSError(ctypes.get_errno(), f"inotify could not watch {self.path}")
        self._thread = threading.Thread(target=self._wait, daemon=True)
        self._thread.start()
        return self

    def _wait(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._fd], [], [], 0.05)
            if ready:
                os.read(self._fd, 4096)
                self.action()
                self.fired.set()
                return

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        os.close(self._fd)
