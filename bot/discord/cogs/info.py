"""Information: `/sources` (the indexed documents) and `/help` (how to ask)."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.app import NO_MENTIONS, AnyQuoteBot
from bot.discord.cogs.ask import NOT_SET_UP
from bot.discord.render import MESSAGE_LIMIT, escape
from index import SourceInfo

SOURCES_PER_PAGE = 20
HELP = (
    "Ask a question about the documents and I reply with the exact sentences that answer it, each with "
    "its source. Use `/ask question:...`, mention me (`@me what did Abrams warn?`) or send me a direct "
    "message. If the documents don't answer, I say so. `/sources` lists the documents."
)
THREADS_FREE = " In a thread I opened, just ask: no mention needed."
THREADS_MENTION = " In threads, mention me too (I can only read messages that mention me)."


class Info(commands.Cog):
    def __init__(self, bot: AnyQuoteBot) -> None:
        self.bot = bot

    @app_commands.command(name="sources", description="List the indexed documents, a page at a time.")
    @app_commands.describe(page="Which page of the list (1 is the first)")
    async def sources(self, interaction: discord.Interaction, page: app_commands.Range[int, 1, None] = 1) -> None:
        # Built in a thread: a corpus of 20,000 documents must not hold up the gateway heartbeat.
        engine = self.bot.engine_for(interaction.guild_id, interaction.channel)
        if engine is None:
            await interaction.response.send_message(NOT_SET_UP, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        text = await asyncio.to_thread(lambda: sources_page(engine.sources(), page))
        await interaction.response.send_message(text, allowed_mentions=NO_MENTIONS, suppress_embeds=True)

    @app_commands.command(name="help", description="How to ask me questions.")
    async def help(self, interaction: discord.Interaction) -> None:
        threads = THREADS_FREE if self.bot.intents.message_content else THREADS_MENTION
        await interaction.response.send_message(HELP + threads, allowed_mentions=NO_MENTIONS, ephemeral=True)


def sources_page(sources: list[SourceInfo], page: int, limit: int = MESSAGE_LIMIT) -> str:
    """One page of the document list that fits a message, with where it is in the list and how to get
    the next one. Pages hold `SOURCES_PER_PAGE` documents (fewer when their names are long)."""
    pages = max(1, -(-len(sources) // SOURCES_PER_PAGE))
    page = min(page, pages)
    first = (page - 1) * SOURCES_PER_PAGE
    header = f"{len(sources):,} document(s)" + (f", page {page:,} of {pages:,}" if pages > 1 else "") + ":\n"
    footer = f"Next: `/sources page:{page + 1}`" if page < pages else ""
    text = header
    for source in sources[first:first + SOURCES_PER_PAGE]:
        line = f"• {escape(source.path)} — {source.size:,} bytes, {source.units} sentences, indexed {source.indexed_at[:10]}\n"
        if len(text) + len(line) + len(footer) + 2 > limit:
            text += "…\n"
            break
        text += line
    return text + footer


async def setup(bot: AnyQuoteBot) -> None:
    await bot.add_cog(Info(bot))
