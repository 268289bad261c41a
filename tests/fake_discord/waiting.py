"""Waits that cross threads: a test's loop waits on state owned by the server's loop.

A probe is a function run on the server's loop after every change; it returns
None to keep waiting or the value to hand over. Results are deep-copied so the test
never shares mutable state with the server thread.
"""

from __future__ import annotations

import concurrent.futures
import copy
from typing import Any, Callable

Probe = Callable[[], Any]


class Watchers:
    """Pending waits; confined to the server's loop."""

    def __init__(self) -> None:
        self._pending: list[tuple[Probe, concurrent.futures.Future[Any]]] = []

    def add(self, probe: Probe) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._pending.append((probe, future))
        self.check()
        return future

    def check(self) -> None:
        """Run every probe; settle the futures whose probes found something."""
        still_waiting = []
        for probe, future in self._pending:
            if future.done():  # cancelled by a timed-out waiter
                continue
            try:
                result = probe()
            except Exception as exc:  # a broken predicate should fail the test, not hang it
                _settle(future, exc, failed=True)
                continue
            if result is None:
                still_waiting.append((probe, future))
            else:
                _settle(future, copy.deepcopy(result), failed=False)
        self._pending = still_waiting


def _settle(future: concurrent.futures.Future[Any], value: Any, *, failed: bool) -> None:
    try:
        if failed:
            future.set_exception(value)
        else:
            future.set_result(value)
    except concurrent.futures.InvalidStateError:
        pass  # the waiter gave up (cancelled) between our check and now
