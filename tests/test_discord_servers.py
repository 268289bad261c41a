"""Several servers, several corpora (DISCORD_SERVERS): each server's questions are answered from its
own documents and never another's, /sources and /reindex are scoped to the server they are run in, the
shared default corpus is rebuilt only by the bot's owner or the admin server, and an unlisted server
gets "not set up" when so configured. Through the real discord.py client and the fake Discord server."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from conftest import settings_for
from fake_discord import FakeDiscord, World, discord_pointed_at, running_bot
from fake_discord.world import Permission

from bot.discord.app import QuoteBot
from bot.discord.config import DiscordSettings
from bot.discord.engines import Engines
from bot.discord.servers import read_server_map
from index.engine import Engine
from index.errors import RebuildBusy
from index.storage.builder import rebuild
from index.storage.store import IndexFolder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from campaign_parts.corpora import OTHER_FACT, SMALL_FACT, other_corpus, small_corpus  # noqa: E402

TOKEN = "fake-bot-token"
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def two_corpora(tmp_path_factory, encoder):
    root = tmp_path_factory.mktemp("servers")
    harbour, _ = small_corpus(root / "harbour")
    lighthouse, _ = other_corpus(root / "lighthouse")
    for corpus in (harbour, lighthouse):
        rebuild(settings_for(corpus, root / f"{corpus.name}-index"), encoder=encoder)
    return root, harbour, lighthouse


def _world() -> tuple[World, dict[str, int]]:
    world = World.default()  # "Test Guild": the first server, with owner, admin (Manage Server), alice
    owner = world.user("owner")
    ids = {"a": world.guild.id}
    for name in ("b", "c"):
        guild = world.add_guild(f"Server {name}", owner_id=owner.id)
        world.add_text_channel(guild.id, "general")
        role = world.add_role(guild.id, "admin", Permission.MANAGE_GUILD)
        world.add_user(f"admin-{name}", guild_id=guild.id, role_ids=[role.id])
        world.add_user(f"member-{name}", guild_id=guild.id)
        ids[name] = guild.id
    return world, ids


def _channel(fake: FakeDiscord, guild_id: int) -> int:
    return fake.world.guilds[guild_id].text_channels[0].id


def _run(engine: Engine, world: World, server_map: dict, root: Path, coro) -> None:
    path = root / f"servers-{len(server_map)}-{server_map.get('unlisted')}.json"
    path.write_text(json.dumps(server_map), encoding="utf-8")
    engines = Engines(engine, read_server_map(path))
    with FakeDiscord(world, token=TOKEN) as fake, discord_pointed_at(fake):
        async def main() -> None:
            settings = DiscordSettings(token=TOKEN, guild_ids=tuple(world.guilds))
            bot = QuoteBot(engine, settings, engines=engines, guild_ready_timeout=0.05)
            async with running_bot(bot, TOKEN):
                await coro(fake, bot)
        asyncio.run(main())


async def _ask(fake: FakeDiscord, bot: QuoteBot, guild_id: int, user: str, question: str) -> str:
    sent = fake.send_message(_channel(fake, guild_id), fake.world.user(user).id, f"<@{bot.user.id}> {question}")
    return (await fake.wait_for_reply(int(sent["id"]), timeout=30))["content"]


def test_each_server_answers_from_its_own_documents_and_reindexes_only_them(two_corpora, engine):
    root, harbour, lighthouse = two_corpora
    world, ids = _world()
    server_map = {"unlisted": "refuse", "servers": {
        str(ids["a"]): {"corpus": str(harbour), "index": str(root / "harbour-index")},
        str(ids["b"]): {"corpus": str(lighthouse), "index": str(root / "lighthouse-index")}}}

    async def scenario(fake: FakeDiscord, bot: QuoteBot) -> None:
        in_a = await _ask(fake, bot, ids["a"], "alice", SMALL_FACT.question)
        in_b = await _ask(fake, bot, ids["b"], "member-b", OTHER_FACT.question)
        assert SMALL_FACT.expected in in_a.replace("\\", "") and "harbour.md" in in_a
        assert OTHER_FACT.expected in in_b.replace("\\", "") and "lighthouse.md" in in_b
        crossed = await _ask(fake, bot, ids["a"], "alice", OTHER_FACT.question)
        assert "lighthouse" not in crossed.lower().split("closest passage")[0].replace("lighthouse keeper", ""), \
            "server a never quotes server b's documents"
        assert "trawlers" not in crossed
        assert "not set up" in await _ask(fake, bot, ids["c"], "member-c", SMALL_FACT.question)

        sources = fake.invoke_slash_command("sources", user_id=fake.world.user("member-b").id,
                                            channel_id=_channel(fake, ids["b"]))
        listed = (await fake.wait_for_callback(sources.id, timeout=20))["data"]["content"]
        assert "lighthouse.md" in listed and "harbour.md" not in listed

        before_b = IndexFolder(root / "lighthouse-index").current()
        (harbour / "late.md").write_text("The harbour master noted a late ferry in April.\n", encoding="utf-8")
        reindex = fake.invoke_slash_command("reindex", user_id=fake.world.user("admin").id, channel_id=_channel(fake, ids["a"]))
        done = (await fake.wait_for_followup(reindex.id, timeout=120))["content"]
        assert "rebuilt" in done and "1 added" in done
        assert IndexFolder(root / "lighthouse-index").current() == before_b, "server b's index untouched"
        assert "late ferry" in (await _ask(fake, bot, ids["a"], "alice", "what did the harbour master note in April?")).replace("\\", "")

    _run(engine, world, server_map, root, scenario)


def test_the_shared_default_corpus_is_rebuilt_only_by_the_owner_or_the_admin_server(two_corpora, engine):
    root, harbour, _ = two_corpora
    world, ids = _world()
    server_map = {"unlisted": "default", "admin_server": ids["c"],
                  "servers": {str(ids["a"]): {"corpus": str(harbour), "index": str(root / "harbour-index")}}}

    async def scenario(fake: FakeDiscord, bot: QuoteBot) -> None:
        assert "Abrams warned" in await _ask(fake, bot, ids["b"], "member-b", "what did Abrams warn?"), "unlisted: default corpus"
        refused = fake.invoke_slash_command("reindex", user_id=fake.world.user("admin-b").id, channel_id=_channel(fake, ids["b"]))
        assert "only the bot's owner" in (await fake.wait_for_callback(refused.id, timeout=20))["data"]["content"]
        allowed = fake.invoke_slash_command("reindex", user_id=fake.world.user("admin-c").id, channel_id=_channel(fake, ids["c"]))
        callback = await fake.wait_for_callback(allowed.id, timeout=20)
        assert callback["type"] == 5, "deferred: the admin server's admins may rebuild the shared corpus"
        assert "Index" in (await fake.wait_for_followup(allowed.id, timeout=120))["content"]

    _run(engine, world, server_map, root, scenario)


def test_a_second_rebuild_while_one_runs_says_already_running(engine):
    assert engine._rebuild_lock.acquire(blocking=False)
    try:
        with pytest.raises(RebuildBusy, match="already running"):
            engine.rebuild()
    finally:
        engine._rebuild_lock.release()


def test_a_bad_server_map_names_the_file(tmp_path):
    from index.errors import SettingError

    bad = tmp_path / "servers.json"
    bad.write_text('{"unlisted": "maybe"}', encoding="utf-8")
    with pytest.raises(SettingError, match="DISCORD_SERVERS=.*servers.json.*unlisted must be one of default, refuse"):
        read_server_map(bad)


def test_python_m_bot_opens_one_engine_per_corpus_of_the_map(two_corpora, monkeypatch, capsys, tmp_path):
    """The start-up path (`bot.__main__.main`): the map is read, each corpus's engine opened and warmed
    once; here Discord then rejects the token, which ends the run with advice."""
    import bot.discord.main as bot_main
    from bot.discord import app as discord_app

    root, harbour, lighthouse = two_corpora
    map_file = tmp_path / "servers.json"
    map_file.write_text(json.dumps({"servers": {
        "1": {"corpus": str(harbour), "index": str(root / "harbour-index")},
        "2": {"corpus": str(lighthouse), "index": str(root / "lighthouse-index")},
        "3": {"corpus": str(harbour), "index": str(root / "harbour-index")}}}), encoding="utf-8")
    made = []
    real_create = discord_app.create_bot

    def create(engine, settings, **options):
        made.append(options["engines"])
        return real_create(engine, settings, guild_ready_timeout=0.05, **options)

    monkeypatch.setattr(discord_app, "create_bot", create)
    monkeypatch.setenv("DISCORD_TOKEN", "wrong-token")
    monkeypatch.setenv("DISCORD_SERVERS", str(map_file))
    monkeypatch.setenv("CORPUS_DIR", str(harbour))
    monkeypatch.setenv("INDEX_DIR", str(root / "harbour-index"))
    import logging

    root_logger = logging.getLogger()
    handlers, level = root_logger.handlers[:], root_logger.level
    try:
        with FakeDiscord(token=TOKEN) as fake, discord_pointed_at(fake):
            assert bot_main.main() == 1
    finally:  # main() sets up logging for the whole process: leave the test run's as it was
        root_logger.handlers[:] = handlers
        root_logger.setLevel(level)
    engines = list(made[0])
    assert len(engines) == 3, "the default engine and one per distinct corpus (server 3 shares server 1's)"
    assert made[0].for_place(1, None) is made[0].for_place(3, None) is not made[0].for_place(2, None)
    assert "Reset Token" in capsys.readouterr().err
