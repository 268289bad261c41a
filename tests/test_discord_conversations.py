"""The bot never goes silent, answers direct messages and follow-ups in its threads, and keeps the
ecosystem's habits (invite link, command sync only on change), through the real discord.py client
against the project's fake Discord server."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest
from fake_discord import FakeDiscord, discord_pointed_at, running_bot

from bot.discord.app import QuoteBot
from bot.discord.config import DiscordSettings

TOKEN = "fake-bot-token"
pytestmark = pytest.mark.timeout(180)


def run(engine, coro, fake_options: dict | None = None, **changes) -> FakeDiscord:
    with FakeDiscord(token=TOKEN, **(fake_options or {})) as fake, discord_pointed_at(fake):
        async def main() -> None:
            settings = dataclasses.replace(DiscordSettings(token=TOKEN, guild_ids=(fake.world.guild.id,)), **changes)
            bot = QuoteBot(engine, settings, guild_ready_timeout=0.05)
            async with running_bot(bot, TOKEN):
                await coro(fake, bot)
        asyncio.run(main())
        return fake


@pytest.fixture
def failing_once(engine, monkeypatch):
    """The engine raises on the next question only, as a bug or a broken index would."""
    real = engine.answer
    calls = {"n": 0}

    def answer(question, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the engine failed on purpose")
        return real(question, *args, **kwargs)

    monkeypatch.setattr(engine, "answer", answer)
    return engine


def test_a_failing_question_gets_an_apology_and_the_next_one_an_answer(failing_once, caplog, tmp_path):
    engine = failing_once

    async def scenario(fake: FakeDiscord, bot: QuoteBot) -> None:
        alice = fake.world.user("alice").id
        interaction = fake.invoke_slash_command("ask", {"question": "what did Abrams warn?"}, user_id=alice)
        first = await fake.wait_for_followup(interaction.id, timeout=20)
        assert "Sorry, something went wrong" in first["content"]
        sent = fake.send_message(fake.world.channel.id, alice, f"<@{bot.user.id}> what did Abrams warn?")
        reply = await fake.wait_for_reply(int(sent["id"]), timeout=20)
        assert "abolish the U.N." in reply["content"]

    with caplog.at_level(logging.ERROR, logger="quotebot"):
        run(engine, scenario)
    assert any("answering failed" in r.getMessage() and r.exc_info for r in caplog.records)
    assert TOKEN not in caplog.text


def test_a_failing_slash_command_never_stays_on_thinking(engine, monkeypatch):
    def broken():
        raise OSError("the index folder vanished")

    monkeypatch.setattr(engine, "sources", broken)

    async def scenario(fake: FakeDiscord, bot: QuoteBot) -> None:
        interaction = fake.invoke_slash_command("sources", user_id=fake.world.user("alice").id)
        callback = await fake.wait_for_callback(interaction.id, timeout=20)
        assert "Sorry" in callback["data"]["content"] and callback["data"]["flags"] & 64  # ephemeral
        again = fake.invoke_slash_command("help", user_id=fake.world.user("alice").id)
        assert "Ask a question" in (await fake.wait_for_callback(again.id))["data"]["content"]

    run(engine, scenario)


def test_a_direct_message_is_a_question(engine):
    async def scenario(fake: FakeDiscord, bot: QuoteBot) -> None:
        alice = fake.world.user("alice").id
        dm = fake.dm_channel_id(alice)
        sent = fake.send_message(dm, alice, "what did Abrams warn?")
        reply = await fake.wait_for_reply(int(sent["id"]), timeout=20)
        assert "abolish the U.N." in reply["content"]

    run(engine, scenario)


@pytest.mark.parametrize("content_intent", [True, False])
def test_follow_ups_in_the_bots_thread_need_no_mention_with_the_content_intent(engine, content_intent):
    async def scenario(fake: FakeDiscord, bot: QuoteBot) -> None:
        alice = fake.world.user("alice").id
        sent = fake.send_message(fake.world.channel.id, alice, f"<@{bot.user.id}> what did Abrams warn?")
        answer = await fake.wait_until(lambda: next((t for t in fake.world.guild.channels.values()
                                                       if t.is_thread and t.owner_id == bot.user.id), None), timeout=20)
        first = await fake.wait_for_message(answer.id, timeout=20)
        assert "abolish the U.N." in first["content"]
        follow_up = fake.send_message(answer.id, alice, "who is Tokola?")
        if content_intent:
            reply = await fake.wait_for_reply(int(follow_up["id"]), timeout=20)
            assert "Tokola" in reply["content"]
        else:
            await asyncio.sleep(1.0)
            assert not [m for m in fake.messages(answer.id, author_id=bot.user.id) if m.get("message_reference")]
        help_ = fake.invoke_slash_command("help", user_id=alice)
        text = (await fake.wait_for_callback(help_.id))["data"]["content"]
        assert ("no mention needed" in text) == content_intent and ("mention me too" in text) != content_intent
        del sent

    run(engine, scenario, reply_in_thread=True, message_content=content_intent)


def test_commands_are_synced_only_when_they_changed_and_the_invite_link_is_logged(engine, caplog, tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "settings", dataclasses.replace(engine.settings, cache_dir=tmp_path))
    syncs = []

    async def scenario(fake: FakeDiscord, bot: QuoteBot) -> None:
        syncs.append(len(fake.requests("sync_guild_commands")))

    with caplog.at_level(logging.INFO, logger="quotebot"):
        with FakeDiscord(token=TOKEN) as fake, discord_pointed_at(fake):
            for changes in ({}, {}, {"sync_always": True}):
                async def main() -> None:
                    settings = dataclasses.replace(DiscordSettings(token=TOKEN, guild_ids=(fake.world.guild.id,)), **changes)
                    bot = QuoteBot(engine, settings, guild_ready_timeout=0.05)
                    async with running_bot(bot, TOKEN):
                        await scenario(fake, bot)
                asyncio.run(main())
    assert syncs == [1, 1, 2], "the second start changed nothing and did not sync; sync_always did"
    links = [r.getMessage() for r in caplog.records if "invite link" in r.getMessage()]
    assert links and "permissions=274877975552" in links[0] and "scope=bot+applications.commands" in links[0]


def test_a_reply_to_an_answer_is_read_as_a_follow_up_and_says_so(engine):
    async def scenario(fake: FakeDiscord, bot: QuoteBot) -> None:
        alice = fake.world.user("alice").id
        sent = fake.send_message(fake.world.channel.id, alice, f"<@{bot.user.id}> what did Abrams warn?")
        answer = await fake.wait_for_reply(int(sent["id"]), timeout=20)
        follow_up = fake.send_message(fake.world.channel.id, alice, f"<@{bot.user.id}> why?", reply_to=int(answer["id"]))
        reply = await fake.wait_for_reply(int(follow_up["id"]), timeout=20)
        assert "Reading this as\\: why did Abrams warn" in reply["content"]  # ":" escaped for Discord
        alone = fake.send_message(fake.world.channel.id, alice, f"<@{bot.user.id}> why?")
        assert "Reading this as" not in (await fake.wait_for_reply(int(alone["id"]), timeout=20))["content"]

    run(engine, scenario)
