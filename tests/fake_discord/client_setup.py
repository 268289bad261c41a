"""Points discord.py at a FakeDiscord, and back.

discord.py reads ``Route.BASE`` whenever it builds a request (interaction callbacks
and webhooks included) and connects a plain ``Client`` to
``DiscordWebSocket.DEFAULT_GATEWAY``; an ``AutoShardedClient`` uses the URL from
GET /gateway/bot, which the fake answers with its own gateway.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .server import FakeDiscord


@contextmanager
def discord_pointed_at(fake: FakeDiscord) -> Iterator[FakeDiscord]:
    """While active, every discord.py client in this process talks to ``fake``."""
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield fake
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway
