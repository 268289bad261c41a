"""Asking: `/ask`, a mention of the bot, or (setting) any message in listed channels."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.app import NO_MENTIONS, AnyQuoteBot
from bot.discord.render import render_answer
from bot.discord.workers import Busy

BUSY = "I'm busy answering other questions; try again shortly."
NOT_SET_UP = "I'm not set up to answer questions in this server; ask the bot's admin to add it (DISCORD_SERVERS)."
SORRY = ("Sorry, something went wrong while answering that. Please ask again in a moment, or word the question "
         "differently; the error is in the bot's log for its admin.")
log = logging.getLogger("quotebot")


CONVERSATIONS_KEPT = 10_000
"""Conversations remembered (a thread the bot opened, or one of its answers, -> the question answered
there), the oldest forgotten first."""


class Ask(commands.Cog):
    def __init__(self, bot: AnyQuoteBot) -> None:
        self.bot = bot
        self.conversations: OrderedDict[int, str] = OrderedDict()

    async def answer_text(self, user_id: int, question: str, after: str | None = None, *,
                          guild_id: int | None = None, channel: object = None) -> tuple[str, str | None]:
        """The reply for a question (the rendered answer, or a cooldown, busy, not-set-up or apology
        message) and the question it answered, as read in the context of `after`, to carry into the
        next one. The documents are those of the server (and channel) it was asked in."""
        engine = self.bot.engine_for(guild_id, channel)
        if engine is None:
            return NOT_SET_UP, None
        wait = self.bot.cooldown.retry_after(user_id)
        if wait > 0:
            return f"You're asking quickly; please wait {wait:.0f} s and ask again.", None
        try:
            answer = await self.bot.workers.run(lambda: engine.answer(question, after=after))
        except Busy:
            return BUSY, None
        except Exception:  # the asker gets an apology, the log the traceback; the next question is answered
            log.exception("answering failed")
            return SORRY, None
        return render_answer(answer), answer.reading or question

    def context(self, channel: object, replied_to: int | None) -> str | None:
        """The question a follow-up continues: the last one answered in this thread of the bot's, or
        the one behind the answer it replies to."""
        bot_user = self.bot.user
        if replied_to is not None and replied_to in self.conversations:
            return self.conversations[replied_to]
        if isinstance(channel, discord.Thread) and bot_user is not None and channel.owner_id == bot_user.id:
            return self.conversations.get(channel.id)
        return None

    def remember(self, asked: str | None, *keys: int | None) -> None:
        for key in keys:
            if asked and key is not None:
                self.conversations[key] = asked
                self.conversations.move_to_end(key)
        while len(self.conversations) > CONVERSATIONS_KEPT:
            self.conversations.popitem(last=False)

    @app_commands.command(name="ask", description="Ask the documents; the answer quotes them verbatim.")
    @app_commands.describe(question="What do you want to know?")
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 1000]) -> None:
        await interaction.response.defer(thinking=True)
        after = self.context(interaction.channel, None)
        text, asked = await self.answer_text(interaction.user.id, question, after, guild_id=interaction.guild_id,
                                             channel=interaction.channel)
        sent = await interaction.followup.send(text, allowed_mentions=NO_MENTIONS, suppress_embeds=True, wait=True)
        self.remember(asked, sent.id, interaction.channel_id if after is not None else None)

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
        replied_to = message.reference.message_id if message.reference else None
        after = self.context(message.channel, replied_to)
        async with message.channel.typing():
            text, asked = await self.answer_text(message.author.id, question, after,
                                                 guild_id=message.guild.id if message.guild else None, channel=message.channel)
        if self.bot.settings.reply_in_thread and isinstance(message.channel, discord.TextChannel) and message.guild:
            thread = await message.create_thread(name=question[:90] or "answer")
            sent = await thread.send(text, allowed_mentions=NO_MENTIONS, suppress_embeds=True)
            self.remember(asked, thread.id, sent.id)
        else:
            sent = await message.reply(text, allowed_mentions=NO_MENTIONS, mention_author=False, suppress_embeds=True)
            self.remember(asked, sent.id, message.channel.id if isinstance(message.channel, discord.Thread) else None)


async def setup(bot: AnyQuoteBot) -> None:
    await bot.add_cog(Ask(bot))
