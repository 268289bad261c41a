"""The Discord bot end to end: the real discord.py client and the real engine against the project's
fake Discord server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from conftest import settings_for
from fake_discord import CloseCode, FakeDiscord, discord_pointed_at, running_bot

from bot.discord.app import QuoteBot
from bot.discord.config import DiscordSettings
from bot.discord.main import run
from index.engine import Engine

TOKEN = "fake-bot-token"
pytestmark = pytest.mark.timeout(180)


def discord_settings(fake: FakeDiscord, **changes) -> DiscordSettings:
    return dataclasses.replace(DiscordSettings(token=TOKEN, guild_ids=(fake.world.guild.id,)), **changes)


def scenario(engine: Engine, coro, fake_options: dict | None = None, **settings_changes) -> FakeDiscord:
    """Run `coro(fake, bot)` with a ready bot; return the fake for inspection."""
    with FakeDiscord(token=TOKEN, **(fake_options or {})) as fake, discord_pointed_at(fake):
        async def main() -> None:
            bot = QuoteBot(engine, discord_settings(fake, **settings_changes), guild_ready_timeout=0.05)
            async with running_bot(bot, TOKEN):
                await coro(fake, bot)
        asyncio.run(main())
        return fake


def mention(fake: FakeDiscord, bot: QuoteBot, user: str, question: str) -> dict:
    return fake.send_message(fake.world.channel.id, fake.world.user(user).id, f"<@{bot.user.id}> {question}")


def reply_request(fake: FakeDiscord, content_part: str):
    return next(r for r in fake.requests("create_message") if content_part in (r.json or {}).get("content", ""))


def test_ready_syncs_commands_and_answers_a_mention(engine):
    async def run_it(fake: FakeDiscord, bot: QuoteBot) -> None:
        names = {c["name"] for c in fake.synced_commands(fake.world.guild.id)}
        assert {"ask", "sources", "help", "reindex"} <= names
        sent = mention(fake, bot, "alice", "what did Abrams warn?")
        reply = await fake.wait_for_reply(int(sent["id"]), timeout=10)
        assert "abolish the U.N." in reply["content"]
        assert "**Abrams warned" in reply["content"]
        assert len(reply["content"]) <= 2000
        request = reply_request(fake, "abolish the U.N.")
        assert request.json["allowed_mentions"]["parse"] == []
        assert not request.json["allowed_mentions"].get("replied_user", False)

    scenario(engine, run_it)


def test_bot_ignores_itself_and_other_bots(engine):
    async def run_it(fake: FakeDiscord, bot: QuoteBot) -> None:
        other = fake.add_user("otherbot")
        fake.world.users[other.id].bot = True
        fake.send_message(fake.world.channel.id, other.id, f"<@{bot.user.id}> what did Abrams warn?")
        await asyncio.sleep(1.0)
        assert fake.requests("create_message") == []

    scenario(engine, run_it)


def test_slash_ask_is_deferred_then_followed_up(engine):
    async def run_it(fake: FakeDiscord, bot: QuoteBot) -> None:
        interaction = fake.invoke_slash_command("ask", {"question": "who is Tokola"}, user_id=fake.world.user("alice").id)
        callback = await fake.wait_for_callback(interaction.id)
        assert callback["type"] == 5  # deferred channel message
        followup = await fake.wait_for_followup(interaction.id, timeout=10)
        assert "Tokola" in followup["content"]
        assert len(followup["content"]) <= 2000

    scenario(engine, run_it)


def test_long_answers_fit_in_one_message(default_index, encoder):
    wide = Engine.open(dataclasses.replace(default_index, top_k=20), auto_rebuild=False, encoder=encoder)

    async def run_it(fake: FakeDiscord, bot: QuoteBot) -> None:
        sent = mention(fake, bot, "alice", "what do the documents say about the end-of-war declaration?")
        reply = await fake.wait_for_reply(int(sent["id"]), timeout=10)
        assert 1500 < len(reply["content"]) <= 2000
        assert reply["content"].count("**") % 2 == 0  # no dangling bold

    scenario(wide, run_it)


def test_hostile_document_text_is_quoted_safely(tmp_path, encoder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "hostile.md").write_text(
        "The vault password rotation happens @everyone and @here every Monday <@123456789012345678> <@&987654321098765432>. "
        "Run ```rm -rf /``` and see ||the spoiler|| at https://example.com/x today.\n\n"
        "# The quarterly rotation policy was written by the security team in 2020.\n",
        encoding="utf-8",
    )
    hostile = Engine.open(settings_for(corpus, tmp_path / "index"), encoder=encoder)

    async def run_it(fake: FakeDiscord, bot: QuoteBot) -> None:
        sent = mention(fake, bot, "alice", "when does the vault password rotation happen?")
        reply = await fake.wait_for_reply(int(sent["id"]), timeout=10)
        content = reply["content"]
        assert "vault password rotation" in content
        assert "@everyone" not in content and "@here" not in content
        assert "<@123456789012345678>" not in content and "<@&987654321098765432>" not in content
        assert "```" not in content and "||the spoiler||" not in content
        assert reply.get("mentions") == [] and reply.get("mention_roles") == [] and not reply.get("mention_everyone")
        request = reply_request(fake, "vault password")
        assert request.json["allowed_mentions"]["parse"] == []
        assert request.json.get("flags", 0) & 4  # SUPPRESS_EMBEDS: no link previews

    scenario(hostile, run_it)


def test_cooldown_answers_kindly(engine):
    async def run_it(fake: FakeDiscord, bot: QuoteBot) -> None:
        replies = []
        for _ in range(3):
            sent = mention(fake, bot, "alice", "who is Tokola")
            replies.append(await fake.wait_for_reply(int(sent["id"]), timeout=10))
        assert "Tokola" in replies[0]["content"] and "Tokola" in replies[1]["content"]
        assert "please wait" in replies[2]["content"]

    scenario(engine, run_it, cooldown_questions=2, cooldown_seconds=60)


def test_reindex_refused_without_manage_server(engine):
    async def run_it(fake: FakeDiscord, bot: QuoteBot) -> None:
        for user, permissions in (("alice", None), ("admin", 0)):  # 0: a crafted interaction
            interaction = fake.invoke_slash_command("reindex", user_id=fake.world.user(user).id, permissions=permissions)
            callback = await fake.wait_for_callback(interaction.id)
            assert "Manage Server" in callback["data"]["content"]
        reindex = next(c for c in fake.synced_commands(fake.world.guild.id) if c["name"] == "reindex")
        assert int(reindex["default_member_permissions"]) == 1 << 5

    scenario(engine, run_it)


def test_admin_reindex_swaps_the_index_while_questions_are_answered(small_corpus, tmp_path, encoder):
    live = Engine.open(settings_for(small_corpus, tmp_path / "index"), encoder=encoder)
    (small_corpus / "lighthouse.txt").write_text(
        "The Marlow lighthouse keeper logged forty-two ships in the harbour on Tuesday.\n", encoding="utf-8"
    )

    async def run_it(fake: FakeDiscord, bot: QuoteBot) -> None:
        interaction = fake.invoke_slash_command("reindex", user_id=fake.world.user("admin").id)
        assert (await fake.wait_for_callback(interaction.id))["type"] == 5
        sent = [mention(fake, bot, user, "what did Abrams warn?") for user in ("alice", "owner")]
        for message in sent:
            reply = await fake.wait_for_reply(int(message["id"]), timeout=30)
            assert "Abrams" in reply["content"]
        summary = await fake.wait_for_followup(interaction.id, timeout=60)
        assert "1 added" in summary["content"]
        after = mention(fake, bot, "alice", "how many ships did the lighthouse keeper log?")
        reply = await fake.wait_for_reply(int(after["id"]), timeout=10)
        assert "forty-two ships" in reply["content"]
        assert fake.late_heartbeats(tolerance=0.5) == []

    scenario(live, run_it, fake_options={"heartbeat_interval": 1.0})


def test_hundred_questions_from_twenty_users_all_answered(engine):
    async def run_it(fake: FakeDiscord, bot: QuoteBot) -> None:
        users = [fake.add_user(f"user{n}").id for n in range(20)]
        questions = ["what did Abrams warn?", "who is Tokola", "what did sullivan say", "what is biden's policy", "why are americans doubtful"]
        sent = [
            fake.send_message(fake.world.channel.id, user, f"<@{bot.user.id}> {q}")
            for q in questions for user in users
        ]
        replies = await asyncio.gather(*(fake.wait_for_reply(int(m["id"]), timeout=60) for m in sent))
        assert len(replies) == 100
        assert all(r["content"] and len(r["content"]) <= 2000 for r in replies)
        answered = sum("busy" not in r["content"] for r in replies)
        assert answered == 100
        assert fake.late_heartbeats(tolerance=0.5) == []

    scenario(engine, run_it, fake_options={"heartbeat_interval": 1.0}, queue_size=128)


def test_rejected_token_gives_advice_without_the_token(engine, capsys):
    with FakeDiscord(token="the-real-token") as fake, discord_pointed_at(fake):
        bot = QuoteBot(engine, discord_settings(fake), guild_ready_timeout=0.05)
        assert run(bot, "wrong-secret-token") == 1
    err = capsys.readouterr().err
    assert "Reset Token" in err and "wrong-secret-token" not in err and "Traceback" not in err


def test_disallowed_intents_give_advice(engine, capsys):
    with FakeDiscord(token=TOKEN) as fake, discord_pointed_at(fake):
        fake.close_next_identify(CloseCode.DISALLOWED_INTENTS)
        bot = QuoteBot(engine, discord_settings(fake, listen_channels=(fake.world.channel.id,)), guild_ready_timeout=0.05)
        assert run(bot, TOKEN) == 1
    err = capsys.readouterr().err
    assert "Message Content" in err and TOKEN not in err


def test_sources_pages_through_many_documents_off_the_event_loop(engine, monkeypatch):
    """20,000 documents: each page fits one message and says how to get the next; the listing is
    built in a thread, so the event loop (and the gateway heartbeat) is never held up by it."""
    import threading

    from index.engine import SourceInfo

    many = [SourceInfo(f"handbook/section-{n:05d}.md", 1000 + n, 12, "2026-12-04T00:00:00") for n in range(20_000)]
    built_on: list[str] = []

    def sources():
        built_on.append(threading.current_thread().name)
        return many

    monkeypatch.setattr(engine, "sources", sources)

    async def run_it(fake: FakeDiscord, bot: QuoteBot) -> None:
        pages = {}
        for page in (1, 2, 1000, 5000):
            interaction = fake.invoke_slash_command("sources", {"page": page}, user_id=fake.world.user("alice").id)
            pages[page] = (await fake.wait_for_callback(interaction.id))["data"]["content"]
        assert all(len(text) <= 2000 for text in pages.values())
        assert pages[1].startswith("20,000 document(s), page 1 of 1,000:") and "section-00000.md" in pages[1]
        assert "section-00020.md" in pages[2] and pages[2].endswith("Next: `/sources page:3`")
        assert "section-19999.md" in pages[1000] and "Next" not in pages[1000]
        assert pages[5000] == pages[1000], "a page past the end shows the last"
        assert threading.main_thread().name not in built_on

    scenario(engine, run_it)
