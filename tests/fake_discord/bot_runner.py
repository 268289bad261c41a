"""Runs a discord.py client against a FakeDiscord until the block ends.

Shared by the end-to-end tests, the Discord benchmark and the fault campaign, so
each starts, waits for and stops the real client the same way.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator, TypeVar

import discord

ClientT = TypeVar("ClientT", bound=discord.Client)


class BotDidNotStart(RuntimeError):
    """The client ended, or never became ready, before the block could run."""


@asynccontextmanager
async def running_bot(client: ClientT, token: str, *, ready_timeout: float = 20.0) -> AsyncIterator[ClientT]:
    """Start ``client`` (``reconnect=False``, so failures raise), wait until it is
    ready, and close it when the block ends. Point discord.py at the fake first
    (``discord_pointed_at``) and give the client a small ``guild_ready_timeout``."""
    task = asyncio.create_task(client.start(token, reconnect=False))
    deadline = time.monotonic() + ready_timeout
    try:
        while not client.is_ready():
            if task.done():
                task.result()  # raises what ended it
                raise BotDidNotStart("the bot stopped before it was ready")
            if time.monotonic() > deadline:
                raise BotDidNotStart(f"the bot was not ready within {ready_timeout} s")
            await asyncio.sleep(0.02)
        yield client
    finally:
        await client.close()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 10)
