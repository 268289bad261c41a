"""Administration: `/reindex` rebuilds the index in the background for members with Manage Server."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.app import NO_MENTIONS, AnyQuoteBot
from bot.discord.cogs.ask import NOT_SET_UP
from bot.discord.render import escape
from index import RebuildBusy, redact

log = logging.getLogger("quotebot")


class Admin(commands.Cog):
    def __init__(self, bot: AnyQuoteBot) -> None:
        self.bot = bot

    @app_commands.command(name="reindex", description="Rebuild the index from the documents (Manage Server only).")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        # Discord hides the command from others, but a crafted interaction skips that: check again.
        if not interaction.permissions.manage_guild:
            await interaction.response.send_message(
                "Sorry, only members with the Manage Server permission can rebuild the index.", ephemeral=True
            )
            return
        engine = self.bot.engine_for(interaction.guild_id, interaction.channel)
        if engine is None:
            await interaction.response.send_message(NOT_SET_UP, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        if not await self.may_rebuild(interaction, engine):
            await interaction.response.send_message(
                "Sorry, this server uses the shared documents, which only the bot's owner (or the admins of its "
                "admin server) can rebuild.", ephemeral=True, allowed_mentions=NO_MENTIONS,
            )
            return
        await interaction.response.defer(thinking=True)
        try:
            # Its own thread, not the question workers: questions keep being answered meanwhile.
            summary = await asyncio.to_thread(engine.rebuild)
        except RebuildBusy:
            text = "A rebuild of these documents is already running; its result will be used when it finishes."
        except Exception as exc:  # the old index keeps serving; say why in the channel
            log.exception("reindex failed")
            reason = redact(str(exc), engine.settings)  # never a credential in the channel
            text = f"The rebuild failed ({escape(reason)[:1500]}); the previous index is still answering."
        else:
            text = "Index " + ("already up to date" if summary.up_to_date else "rebuilt") + (
                f": {summary.documents} documents, {summary.units} sentences, {summary.embedded_units} embedded, "
                f"{len(summary.added)} added, {len(summary.changed)} changed, {len(summary.removed)} removed, "
                f"{len(summary.skipped)} skipped, {summary.seconds:.1f} s."
            )
            if summary.skipped:
                text += "\nSkipped: " + "; ".join(f"{escape(s.path)} ({escape(s.reason)})" for s in summary.skipped[:10])
        await interaction.followup.send(text[:2000], allowed_mentions=NO_MENTIONS, suppress_embeds=True)


    async def may_rebuild(self, interaction: discord.Interaction, engine: object) -> bool:
        """Manage Server admins rebuild their own server's corpus. The default corpus, when a server map
        gives servers corpora of their own (`DISCORD_SERVERS`), is shared: only the bot's owner or the
        admins of the configured admin server may rebuild it."""
        server_map = self.bot.engines.map
        if not server_map.configured or not self.bot.engines.is_default(engine):  # type: ignore[arg-type]
            return True
        if server_map.admin_server is not None and interaction.guild_id == server_map.admin_server:
            return True
        return await self.bot.is_owner(interaction.user)


async def setup(bot: AnyQuoteBot) -> None:
    await bot.add_cog(Admin(bot))
