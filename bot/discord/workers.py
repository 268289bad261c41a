"""Engine calls off the event loop: a few worker threads and a bounded queue, so the gateway heartbeat
is never blocked and an overloaded bot says "busy" instead of going silent."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

from discord.ext import commands

T = TypeVar("T")


class Busy(Exception):
    """Every worker is taken and the queue is full."""


class WorkerPool:
    def __init__(self, workers: int, queue_size: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="engine")
        self._capacity = workers + queue_size
        self._pending = 0

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        if self._pending >= self._capacity:
            raise Busy()
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        finally:
            self._pending -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class Cooldown:
    """At most `rate` questions per `per` seconds for each user: discord.py's `CooldownMapping`, keyed
    by user id, which forgets a user once a whole window has passed without a question from them, so
    the table holds only users seen within the last `per` seconds."""

    def __init__(self, rate: int, per: float) -> None:
        self.rate, self.per = rate, per
        self._mapping: commands.CooldownMapping[int] = commands.CooldownMapping.from_cooldown(rate, per, lambda user_id: user_id)

    def retry_after(self, user_id: int, now: float | None = None) -> float:
        """0 if the user may ask now (and counts the question), else seconds to wait."""
        return self._mapping.update_rate_limit(user_id, time.time() if now is None else now) or 0.0

    def __len__(self) -> int:
        """Users currently remembered."""
        return len(self._mapping._cache)
