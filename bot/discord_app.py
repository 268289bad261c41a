"""The Discord bot: a `commands.Bot` holding one engine, with one cog per feature."""

from __future__ import annotations

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


class QuoteBot(commands.Bot):
    """Answers questions with verbatim quotes; the engine is loaded and warmed before start."""

    def __init__(self, engine: Engine, settings: DiscordSettings, **options: object) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned, intents=intents_for(settings), help_command=None,
            allowed_mentions=NO_MENTIONS, **options,
        )
        self.engine = engine
        self.settings = settings
        self.workers = WorkerPool(settings.workers, settings.queue_size)
        self.cooldown = Cooldown(settings.cooldown_questions, settings.cooldown_seconds)

    async def setup_hook(self) -> None:
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

    async def on_ready(self) -> None:
        log.info("ready as %s in %d server(s)", self.user, len(self.guilds))

    async def close(self) -> None:
        self.workers.shutdown()
        await super().close()
