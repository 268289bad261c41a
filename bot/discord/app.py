"""The Discord bot: a `commands.Bot` (or, for bots in many servers, a `commands.AutoShardedBot`)
holding one engine, with one cog per feature."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.config import DiscordSettings
from bot.discord.engines import Engines
from bot.discord.workers import Cooldown, WorkerPool
from index import Engine

log = logging.getLogger("quotebot")
NO_MENTIONS = discord.AllowedMentions.none()
COGS = ("bot.discord.cogs.ask", "bot.discord.cogs.info", "bot.discord.cogs.admin")


def intents_for(settings: DiscordSettings) -> discord.Intents:
    """Guilds and messages; message content (privileged) only when listening to whole channels or to
    follow-ups in the bot's threads. Mentions, direct messages and slash commands work without it."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = bool(settings.listen_channels) or settings.message_content
    return intents


def needed_permissions(settings: DiscordSettings) -> discord.Permissions:
    """Exactly what the bot uses: read and answer in channels and threads (replies need the history),
    and open threads when it answers in them."""
    permissions = discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=True,
                                      read_message_history=True)
    permissions.create_public_threads = settings.reply_in_thread
    return permissions


def invite_url(application_id: int, settings: DiscordSettings) -> str:
    return discord.utils.oauth_url(application_id, permissions=needed_permissions(settings),
                                   scopes=("bot", "applications.commands"))


SORRY = "Sorry, that went wrong on my side. Please try again in a moment; the error is in the bot's log."


class QuoteTree(app_commands.CommandTree):
    """Slash commands that never leave "thinking..." hanging: any error becomes a short apology to the
    user (and a traceback in the log), and the next command works as usual."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        command = interaction.command.name if interaction.command else "?"
        log.error("/%s failed", command, exc_info=error)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(SORRY, ephemeral=True, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.send_message(SORRY, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("could not tell the user /%s failed", command)


class QuoteBotMixin:
    """What the bot does, whichever way it connects (see `create_bot`); the engine is loaded and
    warmed before start. Mixed into `commands.Bot` or `commands.AutoShardedBot`."""

    def __init__(self, engine: Engine, settings: DiscordSettings, *, engines: Engines | None = None, **options: object) -> None:
        super().__init__(  # type: ignore[call-arg]
            command_prefix=commands.when_mentioned, intents=intents_for(settings), help_command=None,
            allowed_mentions=NO_MENTIONS, tree_cls=QuoteTree, **options,
        )
        self.engine = engine
        """The default corpus's engine."""
        self.engines = engines or Engines(engine)
        self.settings = settings
        self.workers = WorkerPool(settings.workers, settings.queue_size)
        self.cooldown = Cooldown(settings.cooldown_questions, settings.cooldown_seconds)

    async def setup_hook(self: AnyQuoteBot) -> None:
        for cog in COGS:
            await self.load_extension(cog)
        await self.sync_commands()

    async def sync_commands(self: AnyQuoteBot) -> None:
        """Send the slash commands to Discord only when their definitions changed since the last sync
        (a hash per application and scope kept in `CACHE_DIR`), or with `sync_always`: Discord limits
        how often commands may be synced, and most starts change nothing."""
        scopes = [discord.Object(id=g) for g in self.settings.guild_ids] or [None]
        for guild in scopes:
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            definitions = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
            stamp = hashlib.sha256(json.dumps(definitions, sort_keys=True).encode()).hexdigest()
            where = "global" if guild is None else str(guild.id)
            record = Path(self.engine.settings.cache_dir) / "discord" / f"commands-{self.application_id}-{where}.sha256"
            if not self.settings.sync_always and record.is_file() and record.read_text().strip() == stamp:
                log.info("slash commands unchanged (%s): not synced", where)
                continue
            await self.tree.sync(guild=guild)
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text(stamp + "\n")
            log.info("slash commands synced %s", "globally (Discord may take up to an hour to show them)"
                     if guild is None else f"to server {guild.id}")

    def engine_for(self, guild_id: int | None, channel: object) -> Engine | None:
        """The engine for a question asked in `channel` of server `guild_id` (a thread counts as its
        parent channel), or None where the bot is not set up (`DISCORD_SERVERS`)."""
        channel_id = getattr(channel, "parent_id", None) or getattr(channel, "id", None)
        return self.engines.for_place(guild_id, channel_id)

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: questions are handled by the ask cog's listener."""

    async def on_error(self, event_method: str, /, *args: object, **kwargs: object) -> None:
        """An event handler failed: log it and, for a question, apologise instead of staying silent."""
        log.exception("event %s failed", event_method)
        message = args[0] if args else None
        if event_method == "on_message" and isinstance(message, discord.Message) and not message.author.bot:
            try:
                await message.reply(SORRY, allowed_mentions=NO_MENTIONS, mention_author=False)
            except discord.HTTPException:
                log.warning("could not tell the asker the question failed")

    async def on_ready(self: AnyQuoteBot) -> None:
        shards = f" over {self.shard_count} shard(s)" if isinstance(self, commands.AutoShardedBot) else ""
        log.info("ready as %s in %d server(s)%s", self.user, len(self.guilds), shards)
        if self.application_id is not None:
            log.info("invite link (the permissions the bot needs): %s", invite_url(self.application_id, self.settings))

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
