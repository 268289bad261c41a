"""Administration: `/reindex` rebuilds the index in the background for members with Manage Server."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from index.redact import redact
from index.store import RebuildBusy

from ..discord_app import NO_MENTIONS, AnyQuoteBot
from ..discord_render import escape

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
        await interaction.response.defer(thinking=True)
        try:
            # Its own thread, not the question workers: questions keep being answered meanwhile.
            summary = await asyncio.to_thread(self.bot.engine.rebuild)
        except RebuildBusy:
            text = "A rebuild is already running; its result will be used when it finishes."
        except Exception as exc:  # the old index keeps serving; say why in the channel
            log.exception("reindex failed")
            reason = redact(str(exc), self.bot.engine.settings)  # never a credential in the channel
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


async def setup(bot: AnyQuoteBot) -> None:
    await bot.add_cog(Admin(bot))
