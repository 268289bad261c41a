"""A fake Discord (REST + gateway on 127.0.0.1) for end-to-end tests of a bot that
runs the real discord.py client.

    with FakeDiscord(heartbeat_interval=1.0) as fake, discord_pointed_at(fake):
        async def scenario():
            task = asyncio.create_task(bot.start(fake.token, reconnect=False))
            ...  # wait for bot.is_ready(), failing if the task ends
            sent = fake.send_message(fake.world.channel.id, fake.world.user("alice").id, "hi")
            reply = await fake.wait_for_reply(int(sent["id"]))
            assert fake.late_heartbeats() == []
            await bot.close()
        asyncio.run(scenario())

Pass ``guild_ready_timeout`` small to the bot so on_ready comes quickly.
"""

from .bot_runner import BotDidNotStart, running_bot
from .client_setup import discord_pointed_at
from .gateway import CloseCode, ConnectionInfo, Intent, LateHeartbeat
from .server import FakeDiscord, FakeInteraction
from .store import InteractionRecord, RecordedFile, RecordedRequest
from .world import FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser, Permission, World

__all__ = [
    "BotDidNotStart",
    "CloseCode",
    "ConnectionInfo",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "InteractionRecord",
    "Intent",
    "LateHeartbeat",
    "Permission",
    "RecordedFile",
    "RecordedRequest",
    "World",
    "discord_pointed_at",
    "running_bot",
]
