"""The real bot (discord.py client, real engine) against the project's fake Discord server."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any, Awaitable, Callable, TypeVar

from fake_discord import FakeDiscord, RecordedRequest, discord_pointed_at, running_bot

from bot.discord.app import QuoteBot
from bot.discord.config import DiscordSettings
from index.engine import Engine

from .capture import OutputCapture

T = TypeVar("T")
Body = Callable[[FakeDiscord, QuoteBot], Awaitable[T]]


def with_bot(
    engine: Engine,
    token: str,
    capture: OutputCapture,
    body: Body[T],
    *,
    fake_options: dict[str, Any] | None = None,
    guild_commands: bool = True,
    **settings: Any,
) -> T:
    """Run `body(fake, bot)` with a ready bot; everything the bot printed or sent is captured."""
    with FakeDiscord(token=token, **(fake_options or {})) as fake, discord_pointed_at(fake), capture.printed("discord"):
        guild_ids = (fake.world.guild.id,) if guild_commands else ()

        async def main() -> T:
            bot = QuoteBot(engine, DiscordSettings(token=token, guild_ids=guild_ids, **settings), guild_ready_timeout=0.05)
            async with running_bot(bot, token):
                return await body(fake, bot)

        try:
            return asyncio.run(main())
        finally:
            for request in fake.requests():
                if request.json is not None:  # what the bot sent; headers are the fake's, not the bot's output
                    capture.add(f"sent:{request.route}", json.dumps(request.json, ensure_ascii=False))


def question_of(content: str, bot_id: int) -> str:
    """The question the bot reads from a message that mentions it."""
    return re.sub(rf"<@!?{bot_id}>", " ", content).strip()


def reply_request(fake: FakeDiscord, message_id: int) -> RecordedRequest | None:
    """The bot's POST that replied to message `message_id`."""
    for request in fake.requests("create_message"):
        reference = (request.json or {}).get("message_reference") or {}
        if str(reference.get("message_id")) == str(message_id):
            return request
    return None


def followup_request(fake: FakeDiscord, interaction_token: str) -> RecordedRequest | None:
    return next((r for r in fake.requests("execute_webhook") if interaction_token in r.path), None)


async def ask_by_mention(fake: FakeDiscord, bot: QuoteBot, user_id: int, content: str, timeout: float = 120) -> tuple[dict, dict | None, RecordedRequest | None, float]:
    """Post `content` as `user_id`; return (sent message, the bot's reply or None, the reply's POST,
    seconds from posting to the reply reaching Discord)."""
    started = time.monotonic()
    sent = fake.send_message(fake.world.channel.id, user_id, content)
    try:
        reply = await fake.wait_for_reply(int(sent["id"]), timeout=timeout)
    except TimeoutError:
        return sent, None, None, time.monotonic() - started
    request = reply_request(fake, int(sent["id"]))
    latency = (request.time if request is not None else time.monotonic()) - started
    return sent, reply, request, latency
