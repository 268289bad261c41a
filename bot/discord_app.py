"""The Discord bot: a `commands.Bot` (or, for bots in many servers, a `commands.AutoShardedBot`)
holding one engine, with one cog per feature."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord.ext import commands

from index.engine import Engine

from .discord_config import DiscordSettings
from .workers import Cooldown, WorkerPool

log = logging.getLogger("quotebot")
NO_MENTIONS = discord.AllowedMentions.none()
COGS = ("bot.cogs.ask", "bot.cogs.info", "bot.cogs.admin")


def intents_for(settings: DiscordSettings) -> discord.Intents:
    """Guilds and messages; message content (privileged) only when listening to whole channels.
    Mentions and slash commands work without it."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = bool(settings.listen_channels)
    return intents


class QuoteBotMixin:
    """What the bot does, whichever way it connects (see `create_bot`); the engine is loaded and
    warmed before start. Mixed into `commands.Bot` or `commands.AutoShardedBot`."""

    def __init__(self, engine: Engine, settings: DiscordSettings, **options: object) -> None:
        super().__init__(  # type: ignore[call-arg]
            command_prefix=commands.when_mentioned, intents=intents_for(settings), help_command=None,
            allowed_mentions=NO_MENTIONS, **options,
        )
        self.engine = engine
        self.settings = settings
        self.workers = WorkerPool(settings.workers, settings.queue_size)
        self.cooldown = Cooldown(settings.cooldown_questions, settings.cooldown_seconds)

    async def setup_hook(self: AnyQuoteBot) -> None:
        for cog in COGS:
            await self.load_extension(cog)
        if self.settings.guild_ids:
            for guild_id in self.settings.guild_ids:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
            log.info("slash commands synced to %d server(s)", len(self.settings.guild_ids))
        else:
            await self.tree.sync()
            log.info("slash commands synced globally (Discord may take up to an hour to show them)")

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: questions are handled by the ask cog's listener."""

    async def on_ready(self: AnyQuoteBot) -> None:
        shards = f" over {self.shard_count} shard(s)" if isinstance(self, commands.AutoShardedBot) else ""
        log.info("ready as %s in %d server(s)%s", self.user, len(self.guilds), shards)

    async def close(self: AnyQuoteBot) -> None:
        self.workers.shutdown()
        await super().close()  # type: ignore[misc]


class QuoteBot(QuoteBotMixin, commands.Bot):
    """The bot on one gateway connection (DISCORD_SHARDS=off): enough for up to 2,500 servers."""


IDENTIFY_INTERVAL = 5.0
"""Seconds between two shards identifying: Discord accepts one IDENTIFY per 5 s (max_concurrency 1)."""


class ShardedQuoteBot(QuoteBotMixin, commands.AutoShardedBot):
    """The bot on several gateway connections, each carrying the servers with
    (server id >> 22) % shard_count == its shard id; Discord requires this from 2,500 servers on.
    `shard_count` None asks Discord how many (GET /gateway/bot)."""

    def __init__(
        self, engine: Engine, settings: DiscordSettings, *, identify_interval: float = IDENTIFY_INTERVAL,
        **options: object,
    ) -> None:
        super().__init__(engine, settings, shard_count=settings.shard_count, **options)
        self.identify_interval = identify_interval

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if not initial:
            await asyncio.sleep(self.identify_interval)

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("shard %d of %s ready", shard_id, self.shard_count)


AnyQuoteBot = QuoteBot | ShardedQuoteBot


def create_bot(engine: Engine, settings: DiscordSettings, **options: object) -> AnyQuoteBot:
    """The bot DISCORD_SHARDS asks for: one connection (off), or sharded (auto or a number)."""
    if settings.sharded:
        return ShardedQuoteBot(engine, settings, **options)  # type: ignore[arg-type]
    return QuoteBot(engine, settings, **options)
