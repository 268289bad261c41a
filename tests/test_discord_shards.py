"""DISCORD_SHARDS: the bot on several gateway connections (discord.py's AutoShardedBot), end to end
against the fake Discord server, which recommends a shard count on GET /gateway/bot and routes each
server's events to the shard Discord's formula assigns it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import discord
import pytest
from fake_discord import FakeDiscord, World, discord_pointed_at, running_bot
from test_discord_e2e import TOKEN

from bot.discord.app import QuoteBot, ShardedQuoteBot, create_bot
from bot.discord.config import DiscordSettings, discord_settings_from_env
from index.config import PROJECT_ROOT
from index.errors import SettingError

pytestmark = pytest.mark.timeout(180)


def shard_of(guild_id: int, shard_count: int) -> int:
    """Discord's rule for which shard carries a server."""
    return (guild_id >> 22) % shard_count


# --- the setting --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "sharded", "count"),
    [(None, False, None), ("", False, None), ("off", False, None), ("OFF", False, None),
     ("auto", True, None), (" Auto ", True, None), ("1", True, 1), ("16", True, 16)],
)
def test_discord_shards_setting(monkeypatch, value, sharded, count):
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    if value is None:
        monkeypatch.delenv("DISCORD_SHARDS", raising=False)
    else:
        monkeypatch.setenv("DISCORD_SHARDS", value)
    settings = discord_settings_from_env()
    assert (settings.sharded, settings.shard_count) == (sharded, count)


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5", "on", "yes", "auto,2"])
def test_bad_discord_shards_values_are_refused_with_the_choices(monkeypatch, value):
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("DISCORD_SHARDS", value)
    with pytest.raises(SettingError, match=r"DISCORD_SHARDS must be off .*, auto .* or a number of shards .*check \.env"):
        discord_settings_from_env()


def test_a_shard_count_without_sharding_is_refused():
    with pytest.raises(SettingError, match="DISCORD_SHARDS"):
        DiscordSettings(token=TOKEN, shard_count=2)
    with pytest.raises(SettingError, match="DISCORD_SHARDS"):
        DiscordSettings(token=TOKEN, sharded=True, shard_count=0)


def test_create_bot_picks_the_client_the_setting_asks_for(engine):
    plain = create_bot(engine, DiscordSettings(token=TOKEN))
    assert type(plain) is QuoteBot and not isinstance(plain, discord.AutoShardedClient)
    auto = create_bot(engine, DiscordSettings(token=TOKEN, sharded=True))
    assert isinstance(auto, ShardedQuoteBot) and isinstance(auto, discord.AutoShardedClient)
    assert auto.shard_count is None  # asked of Discord at start
    fixed = create_bot(engine, DiscordSettings(token=TOKEN, sharded=True, shard_count=3))
    assert fixed.shard_count == 3
    for bot in (plain, auto, fixed):
        assert bot.engine is engine and bot.intents.guilds and not bot.intents.message_content
        bot.workers.shutdown()


# --- end to end -------------------------------------------------------------------------------------------


def world_on_shards(shard_count: int, guilds_per_shard: int = 1) -> World:
    """The default world plus servers until every shard carries at least `guilds_per_shard` of them.
    Each new server's id is minted for the shard that lacks one (its timestamp moved on by at most
    `shard_count - 1` ms), so the world stays small however the clock runs: waiting for the clock to
    spread them made dozens of servers on a loaded machine, more questions than the bot's queue holds."""
    world = World.default()
    owner = world.user("owner")
    for shard in range(shard_count):
        while sum(shard_of(g, shard_count) == shard for g in world.guilds) < guilds_per_shard:
            guild = world.add_guild(f"Server {len(world.guilds) + 1}", owner_id=owner.id,
                                    guild_id=id_on_shard(world.ids.next(), shard, shard_count))
            world.add_text_channel(guild.id, "general")
    return world


def id_on_shard(snowflake: int, shard: int, shard_count: int) -> int:
    """`snowflake` with its timestamp moved forward to the next millisecond Discord routes to `shard`."""
    millis = snowflake >> 22
    return ((millis + (shard - millis) % shard_count) << 22) | (snowflake & 0x3FFFFF)


def run_sharded(engine, world: World, fake_shards: int, coro, **settings_changes) -> FakeDiscord:
    """Start the sharded bot (as `create_bot` makes it) against a fake recommending `fake_shards`."""
    with FakeDiscord(world, token=TOKEN, shard_count=fake_shards) as fake, discord_pointed_at(fake):
        async def main() -> None:
            settings = DiscordSettings(token=TOKEN, guild_ids=tuple(world.guilds), **settings_changes)
            bot = create_bot(engine, settings, guild_ready_timeout=0.05, identify_interval=0.0)
            assert isinstance(bot, ShardedQuoteBot)
            async with running_bot(bot, TOKEN):
                await coro(fake, bot)
        asyncio.run(main())
        return fake


async def ask_in_every_server(fake: FakeDiscord, bot: ShardedQuoteBot) -> None:
    """A question in each server reaches the bot over that server's shard and is answered there."""
    asker = fake.world.user("alice")
    sent = []
    for guild in list(fake.world.guilds.values()):
        if asker.id not in guild.members:
            fake.add_user(f"alice-{guild.id}", guild_id=guild.id)
        user = asker if asker.id in guild.members else fake.world.user(f"alice-{guild.id}")
        channel = guild.text_channels[0]
        sent.append((guild.id, fake.send_message(channel.id, user.id, f"<@{bot.user.id}> what did Abrams warn?")))
    for guild_id, message in sent:
        reply = await fake.wait_for_reply(int(message["id"]), timeout=20)
        assert "abolish the U.N." in reply["content"], reply["content"]
        assert int(reply["channel_id"]) == int(message["channel_id"])


def identified_shards(fake: FakeDiscord) -> list[tuple[int, int]]:
    return sorted(c.shard for c in fake.connections() if c.identified and c.shard is not None)


def assert_routed_by_discords_formula(fake: FakeDiscord, shard_count: int) -> None:
    """Each server's GUILD_CREATE and the questions asked in it travelled over exactly one
    connection: the shard (server id >> 22) % shard_count. (Sessions end when the bot closes, so
    call this while it runs.)"""
    for event in ("GUILD_CREATE", "MESSAGE_CREATE"):
        carriers: dict[int, list[tuple[int, int]]] = {}
        for shard, data in fake.dispatched(event):
            carriers.setdefault(int(data.get("guild_id") or data["id"]), []).append(shard)
        assert set(carriers) == set(fake.world.guilds), event
        for guild_id, shards in carriers.items():
            assert set(shards) == {(shard_of(guild_id, shard_count), shard_count)}, (event, guild_id, shards)
    for shard, ready in fake.dispatched("READY"):
        assert {int(g["id"]) for g in ready["guilds"]} == {g for g in fake.world.guilds if shard_of(g, shard[1]) == shard[0]}


def test_auto_sharding_takes_the_recommended_count_and_answers_on_every_shard(engine):
    world = world_on_shards(2)

    async def scenario(fake: FakeDiscord, bot: ShardedQuoteBot) -> None:
        assert bot.shard_count == 2
        assert sorted(bot.shards) == [0, 1]
        assert all(bot.get_guild(g) is not None for g in world.guilds), "every server arrives"
        assert {bot.get_guild(g).shard_id for g in world.guilds} == {0, 1}
        await ask_in_every_server(fake, bot)
        assert_routed_by_discords_formula(fake, 2)

    fake = run_sharded(engine, world, 2, scenario, sharded=True)
    assert identified_shards(fake) == [(0, 2), (1, 2)], "one IDENTIFY per shard, no more"
    assert len(fake.requests("get_gateway_bot")) == 1
    for guild_id in world.guilds:  # commands synced to every server, whichever shard carries it
        assert {"ask", "sources", "help", "reindex"} <= {c["name"] for c in fake.synced_commands(guild_id)}


def test_a_fixed_shard_count_overrides_discords_recommendation(engine):
    world = world_on_shards(3)

    async def scenario(fake: FakeDiscord, bot: ShardedQuoteBot) -> None:
        assert bot.shard_count == 3
        assert {bot.get_guild(g).shard_id for g in world.guilds} == {0, 1, 2}
        await ask_in_every_server(fake, bot)
        assert_routed_by_discords_formula(fake, 3)

    fake = run_sharded(engine, world, 1, scenario, sharded=True, shard_count=3)
    assert identified_shards(fake) == [(0, 3), (1, 3), (2, 3)]
    assert fake.requests("get_gateway_bot") == [], "a fixed count needs no recommendation"


def test_shards_identify_at_discords_pace_by_default(engine):
    """Discord accepts one IDENTIFY every 5 s; the bot waits that long between shards unless told
    otherwise (the tests above do, as the fake has no such limit)."""
    bot = create_bot(engine, DiscordSettings(token=TOKEN, sharded=True))
    try:
        assert bot.identify_interval == 5.0

        async def timed(initial: bool) -> float:
            bot.identify_interval = 0.2
            started = time.monotonic()
            await bot.before_identify_hook(1, initial=initial)
            return time.monotonic() - started

        assert asyncio.run(timed(initial=True)) < 0.1
        assert asyncio.run(timed(initial=False)) >= 0.2
    finally:
        bot.workers.shutdown()


def test_plain_bot_uses_one_connection_and_never_asks_for_shards(engine):
    world = world_on_shards(2)

    async def scenario(fake: FakeDiscord, bot: QuoteBot) -> None:
        await ask_in_every_server(fake, bot)

    with FakeDiscord(world, token=TOKEN, shard_count=2) as fake, discord_pointed_at(fake):
        async def main() -> None:
            bot = create_bot(engine, DiscordSettings(token=TOKEN, guild_ids=tuple(world.guilds)), guild_ready_timeout=0.05)
            async with running_bot(bot, TOKEN):
                await scenario(fake, bot)
        asyncio.run(main())
    assert len([c for c in fake.connections() if c.identified]) == 1
    assert fake.requests("get_gateway_bot") == []


def test_python_m_bot_refuses_a_bad_shards_setting_before_connecting(tmp_path):
    env = dict(os.environ, DISCORD_TOKEN=TOKEN, DISCORD_SHARDS="many", INDEX_DIR=str(tmp_path / "index"))
    result = subprocess.run([sys.executable, "-m", "bot"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert "DISCORD_SHARDS must be off" in result.stderr and "Traceback" not in result.stderr
    assert TOKEN not in result.stderr + result.stdout
