"""Information: `/sources` (the indexed documents) and `/help` (how to ask)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from ..discord_app import NO_MENTIONS, AnyQuoteBot
from ..discord_render import MESSAGE_LIMIT, escape

HELP = (
    "Ask a question about the documents and I reply with the exact sentences that answer it, each with "
    "its source. Use `/ask question:...`, or mention me: `@me what did Abrams warn?`. "
    "If the documents don't answer, I say so. `/sources` lists the documents."
)


class Info(commands.Cog):
    def __init__(self, bot: AnyQuoteBot) -> None:
        self.bot = bot

    @app_commands.command(name="sources", description="List the indexed documents.")
    async def sources(self, interaction: discord.Interaction) -> None:
        lines = [
            f"• {escape(s.path)} — {s.size:,} bytes, {s.units} sentences, indexed {s.indexed_at[:10]}"
            for s in self.bot.engine.sources()
        ]
        text = f"{len(lines)} document(s):\n"
        for line in lines:
            if len(text) + len(line) + 20 > MESSAGE_LIMIT:
                text += "…"
                break
            text += line + "\n"
        await interaction.response.send_message(text, allowed_mentions=NO_MENTIONS, suppress_embeds=True)

    @app_commands.command(name="help", description="How to ask me questions.")
    async def help(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(HELP, allowed_mentions=NO_MENTIONS, ephemeral=True)


async def setup(bot: AnyQuoteBot) -> None:
    await bot.add_cog(Info(bot))
