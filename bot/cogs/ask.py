"""Asking: `/ask`, a mention of the bot, or (setting) any message in listed channels."""

from __future__ import annotations

import logging
import re

import discord
from discord import app_commands
from discord.ext import commands

from ..discord_app import NO_MENTIONS, AnyQuoteBot
from ..discord_render import render_answer
from ..workers import Busy

BUSY = "I'm busy answering other questions; try again shortly."
SORRY = ("Sorry, something went wrong while answering that. Please ask again in a moment, or word the question "
         "differently; the error is in the bot's log for its admin.")
log = logging.getLogger("quotebot")


class Ask(commands.Cog):
    def __init__(self, bot: AnyQuoteBot) -> None:
        self.bot = bot

    async def answer_text(self, user_id: int, question: str) -> str:
        """The reply for a question: the rendered answer, or a cooldown or busy message."""
        wait = self.bot.cooldown.retry_after(user_id)
        if wait > 0:
            return f"You're asking quickly; please wait {wait:.0f} s and ask again."
        try:
            answer = await self.bot.workers.run(self.bot.engine.answer, question)
        except Busy:
            return BUSY
        except Exception:  # the asker gets an apology, the log the traceback; the next question is answered
            log.exception("answering failed")
            return SORRY
        return render_answer(answer)

    @app_commands.command(name="ask", description="Ask the documents; the answer quotes them verbatim.")
    @app_commands.describe(question="What do you want to know?")
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 1000]) -> None:
        await interaction.response.defer(thinking=True)
        text = await self.answer_text(interaction.user.id, question)
        await interaction.followup.send(text, allowed_mentions=NO_MENTIONS, suppress_embeds=True)

    def addressed(self, message: discord.Message) -> bool:
        """A message is a question when it mentions the bot, is a direct message, is in a thread the
        bot opened (with the message content intent, which reading it needs) or in a listened channel."""
        bot_user = self.bot.user
        if bot_user is None or message.author.bot:
            return False
        if bot_user in message.mentions or isinstance(message.channel, discord.DMChannel):
            return True
        if isinstance(message.channel, discord.Thread) and message.channel.owner_id == bot_user.id:
            return self.bot.intents.message_content
        return message.channel.id in self.bot.settings.listen_channels

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if not self.addressed(message):
            return
        assert self.bot.user is not None
        question = re.sub(rf"<@!?{self.bot.user.id}>", " ", message.content).strip()
        if not question:
            await message.reply("Ask me a question about the documents, e.g. `@me what did Abrams warn?`",
                                allowed_mentions=NO_MENTIONS, mention_author=False)
            return
        async with message.channel.typing():
            text = await self.answer_text(message.author.id, question)
        if self.bot.settings.reply_in_thread and isinstance(message.channel, discord.TextChannel) and message.guild:
            thread = await message.create_thread(name=question[:90] or "answer")
            await thread.send(text, allowed_mentions=NO_MENTIONS, suppress_embeds=True)
        else:
            await message.reply(text, allowed_mentions=NO_MENTIONS, mention_author=False, suppress_embeds=True)


async def setup(bot: AnyQuoteBot) -> None:
    await bot.add_cog(Ask(bot))
