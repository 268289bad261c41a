"""The fake Discord server, exercised by the real discord.py client over 127.0.0.1.

Each test defines a throwaway client, runs ``client.start`` as a task against a
fresh FakeDiscord and checks what both sides saw.
"""

from __future__ import annotations

import asyncio
import io
import time
from contextlib import asynccontextmanager, contextmanager
from typing import Any, AsyncIterator, Iterator

import discord
import pytest
from discord import app_commands
from fake_discord import CloseCode, FakeDiscord, Intent, World, discord_pointed_at

TOKEN = "fake-bot-token"


@contextmanager
def fake_discord(**options: Any) -> Iterator[FakeDiscord]:
    with FakeDiscord(token=TOKEN, **options) as fake, discord_pointed_at(fake):
        yield fake


@asynccontextmanager
async def running(client: discord.Client, *, reconnect: bool = False, timeout: float = 10.0) -> AsyncIterator[asyncio.Task[None]]:
    """Start the client, wait for on_ready, fail if the client stops early, always close it."""
    task = asyncio.create_task(client.start(TOKEN, reconnect=reconnect))
    try:
        deadline = time.monotonic() + timeout
        while not client.is_ready():
            if task.done():
                task.result()
                pytest.fail("client.start returned before on_ready")
            if time.monotonic() > deadline:
                pytest.fail("client never became ready")
            await asyncio.sleep(0.01)
        yield task
        if task.done():
            task.result()
            pytest.fail("client.start ended while the test was running")
    finally:
        await client.close()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 10)


async def start_expecting_failure(client: discord.Client, *, reconnect: bool) -> BaseException:
    try:
        await asyncio.wait_for(client.start(TOKEN, reconnect=reconnect), 10)
    except Exception as exc:
        return exc
    finally:
        await client.close()
    pytest.fail("client.start did not fail")


def quick_client(intents: discord.Intents | None = None, cls: type[discord.Client] = discord.Client) -> discord.Client:
    return cls(intents=intents or discord.Intents.default(), guild_ready_timeout=0.05)


@pytest.mark.timeout(60)
def test_client_connects_and_sees_the_guild() -> None:
    async def scenario(fake: FakeDiscord) -> None:
        client = quick_client(discord.Intents.default() | discord.Intents(members=True))
        async with running(client):
            guild = client.get_guild(fake.world.guild.id)
            assert guild is not None and guild.name == "Test Guild"
            assert [c.name for c in guild.text_channels] == ["general"]
            assert guild.get_role(guild.id) == guild.default_role
            admin_role = discord.utils.get(guild.roles, name="admin")
            assert admin_role is not None and admin_role.permissions.manage_guild
            admin = guild.get_member(fake.world.user("admin").id)
            assert admin is not None and admin.guild_permissions.manage_guild
            alice = guild.get_member(fake.world.user("alice").id)
            assert alice is not None and not alice.guild_permissions.manage_guild
            assert guild.member_count == len(guild.members) == 4
            assert client.user is not None and client.user.id == fake.world.bot.id
        routes = [r.route for r in fake.requests()]
        assert routes[:2] == ["get_current_user", "application_info"]
        (connection,) = fake.connections()
        assert connection.identified and connection.intents == client.intents.value
        assert connection.heartbeats, "discord.py heartbeats as soon as it gets HELLO"

    with fake_discord() as fake:
        asyncio.run(scenario(fake))


@pytest.mark.timeout(60)
def test_mention_is_delivered_and_the_reply_is_recorded() -> None:
    seen: list[discord.Message] = []

    async def scenario(fake: FakeDiscord) -> None:
        client = quick_client()  # no message_content intent

        @client.event
        async def on_message(message: discord.Message) -> None:
            seen.append(message)
            if client.user in message.mentions:
                await message.reply("pong", allowed_mentions=discord.AllowedMentions.none())

        async with running(client):
            channel_id, alice = fake.world.channel.id, fake.world.user("alice")
            unmentioned = fake.send_message(channel_id, alice.id, "nobody is mentioned here")
            asked = fake.send_message(channel_id, alice.id, f"<@{fake.world.bot.id}> ping")
            reply = await fake.wait_for_reply(int(asked["id"]))
            assert reply["content"] == "pong"
            await fake.wait_for_request(lambda r: r.route == "create_message")
            # the bot's own message comes back over the gateway, as on Discord
            deadline = time.monotonic() + 5
            while not any(m.id == int(reply["id"]) for m in seen) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)

        (post,) = fake.requests("create_message")
        assert post.params["channel_id"] == str(fake.world.channel.id)
        assert str(post.json["message_reference"]["message_id"]) == asked["id"]
        assert post.json["allowed_mentions"] == {"parse": []}
        assert post.headers["Authorization"] == f"Bot {TOKEN}"
        contents = {m.id: m.content for m in seen}
        assert contents[int(unmentioned["id"])] == "", "without the intent, content is blanked"
        assert contents[int(asked["id"])].endswith("ping"), "a mention of the bot keeps the content"
        assert contents[int(reply["id"])] == "pong"
        asked_message = next(m for m in seen if m.id == int(asked["id"]))
        assert asked_message.guild is not None and isinstance(asked_message.author, discord.Member)

    with fake_discord() as fake:
        asyncio.run(scenario(fake))


@pytest.mark.timeout(60)
def test_slash_command_sync_defer_and_followup() -> None:
    calls: list[tuple[str, bool]] = []

    async def scenario(fake: FakeDiscord) -> None:
        guild = discord.Object(fake.world.guild.id)
        client = quick_client()
        tree = app_commands.CommandTree(client)

        @tree.command(name="echo", description="Echo a word later")
        async def echo(interaction: discord.Interaction, word: str, times: int = 1) -> None:
            await interaction.response.defer()
            await interaction.followup.send(" ".join([word] * times))

        @tree.command(name="settings", description="Admins only")
        @app_commands.default_permissions(manage_guild=True)
        async def settings(interaction: discord.Interaction) -> None:
            allowed = interaction.permissions.manage_guild
            calls.append((interaction.user.name, allowed))
            await interaction.response.send_message("ok" if allowed else "denied", ephemeral=not allowed)

        async def setup_hook() -> None:
            tree.copy_global_to(guild=guild)
            await tree.sync(guild=guild)

        client.setup_hook = setup_hook  # type: ignore[method-assign]
        async with running(client):
            synced = {c["name"]: c for c in fake.synced_commands(guild.id)}
            assert set(synced) == {"echo", "settings"}
            assert [o["name"] for o in synced["echo"]["options"]] == ["word", "times"]
            assert synced["settings"]["default_member_permissions"] == str(discord.Permissions(manage_guild=True).value)

            alice, admin = fake.world.user("alice"), fake.world.user("admin")
            interaction = fake.invoke_slash_command("echo", {"word": "hi", "times": 2}, user_id=alice.id)
            callback = await fake.wait_for_callback(interaction.id)
            assert callback["type"] == 5  # deferred channel message
            followup = await fake.wait_for_followup(interaction.id)
            assert followup["content"] == "hi hi"

            denied = fake.invoke_slash_command("settings", user_id=alice.id)
            allowed = fake.invoke_slash_command("settings", user_id=admin.id)
            crafted = fake.invoke_slash_command("settings", user_id=admin.id, permissions=0)
            answers = [await fake.wait_for_callback(i.id) for i in (denied, allowed, crafted)]

        assert [(a["data"]["content"], a["data"].get("flags", 0)) for a in answers] == [("denied", 64), ("ok", 0), ("denied", 64)]
        assert calls == [("alice", False), ("admin", True), ("admin", False)]
        callback_request = fake.requests("interaction_callback")[0]
        assert "Authorization" not in callback_request.headers
        assert callback_request.query.get("with_response") in ("1", "true", "True")
        with pytest.raises(LookupError):
            fake.invoke_slash_command("never-synced", user_id=alice.id)

    with fake_discord() as fake:
        asyncio.run(scenario(fake))


@pytest.mark.timeout(60)
def test_late_interaction_response_is_rejected_like_discord() -> None:
    errors: list[Exception] = []

    async def scenario(fake: FakeDiscord) -> None:
        client = quick_client()
        tree = app_commands.CommandTree(client)

        @tree.command(name="slow", description="Answers too late")
        async def slow(interaction: discord.Interaction) -> None:
            await asyncio.sleep(0.4)
            try:
                await interaction.response.send_message("late")
            except discord.NotFound as exc:
                errors.append(exc)

        client.setup_hook = tree.sync  # type: ignore[assignment,method-assign]
        async with running(client):
            assert [c["name"] for c in fake.synced_commands()] == ["slow"]
            interaction = fake.invoke_slash_command("slow", user_id=fake.world.user("alice").id)
            await fake.wait_for_request(lambda r: r.route == "interaction_callback")
            await asyncio.sleep(0.05)

        assert fake.interaction(interaction.id).callbacks == []
        assert len(errors) == 1 and errors[0].code == 10062

    with fake_discord(interaction_deadline=0.2) as fake:
        asyncio.run(scenario(fake))


@pytest.mark.timeout(60)
def test_bad_token_raises_login_failure() -> None:
    async def scenario() -> None:
        client = quick_client()
        try:
            await asyncio.wait_for(client.start("not-the-token"), 10)
        except discord.LoginFailure:
            pass
        else:
            pytest.fail("expected LoginFailure")
        finally:
            await client.close()

    with fake_discord() as fake:
        asyncio.run(scenario())
        (request,) = fake.requests()
        assert (request.route, request.status) == ("get_current_user", 401)
        assert request.response == {"message": "401: Unauthorized", "code": 0}


@pytest.mark.timeout(60)
def test_disallowed_intents_close_4014() -> None:
    intents = discord.Intents.default() | discord.Intents(message_content=True)
    with fake_discord(enabled_privileged_intents=Intent.GUILD_MEMBERS) as fake:
        error = asyncio.run(start_expecting_failure(quick_client(intents), reconnect=True))
        assert isinstance(error, discord.PrivilegedIntentsRequired)
        # with reconnect=False discord.py 2.7.1 raises the bare ConnectionClosed instead
        error = asyncio.run(start_expecting_failure(quick_client(intents), reconnect=False))
        assert isinstance(error, discord.ConnectionClosed) and error.code == CloseCode.DISALLOWED_INTENTS
        assert [c.close_code for c in fake.connections()] == [4014, 4014]


@pytest.mark.timeout(60)
def test_authentication_failed_close_4004() -> None:
    with fake_discord() as fake:
        fake.close_next_identify(CloseCode.AUTHENTICATION_FAILED)
        error = asyncio.run(start_expecting_failure(quick_client(), reconnect=True))
        # discord.py does not retry a 4004 and does not turn it into LoginFailure
        assert isinstance(error, discord.ConnectionClosed) and error.code == 4004
        assert len(fake.connections()) == 1


@pytest.mark.timeout(60)
def test_dropped_connection_is_resumed() -> None:
    async def scenario(fake: FakeDiscord) -> None:
        client = quick_client(discord.Intents.default() | discord.Intents(message_content=True))
        got_resumed = asyncio.Event()
        received: list[str] = []

        @client.event
        async def on_resumed() -> None:
            got_resumed.set()

        @client.event
        async def on_message(message: discord.Message) -> None:
            if message.author != client.user:
                received.append(message.content)
                await message.channel.send(f"heard {message.content}")

        async with running(client, reconnect=True):
            first = fake.connections()[0]
            assert fake.drop_connections(CloseCode.UNKNOWN_ERROR) == 1
            alice = fake.world.user("alice")
            missed = fake.send_message(fake.world.channel.id, alice.id, "while you were away")
            second = await fake.wait_for_connection(lambda c: c.resumed)
            await asyncio.wait_for(got_resumed.wait(), 5)
            assert second.session_id == first.session_id and second.path == "/resume-gateway/"
            await fake.wait_for_message(fake.world.channel.id, lambda m: m["content"] == "heard while you were away")
            fake.send_message(fake.world.channel.id, alice.id, "after")
            await fake.wait_for_message(fake.world.channel.id, lambda m: m["content"] == "heard after")
            assert client.is_ready() and not client.is_closed()
        assert received == [missed["content"], "after"]

    with fake_discord() as fake:
        asyncio.run(scenario(fake))


@pytest.mark.timeout(60)
def test_rate_limited_post_is_retried_and_files_are_recorded() -> None:
    async def scenario(fake: FakeDiscord) -> None:
        client = quick_client()
        async with running(client):
            channel = client.get_channel(fake.world.channel.id)
            assert isinstance(channel, discord.TextChannel)
            fake.rate_limit_next_messages(1, retry_after=0.2)
            started = time.monotonic()
            sent = await channel.send("eventually")
            assert time.monotonic() - started >= 0.2
            with_file = await channel.send("file", file=discord.File(io.BytesIO(b"abc"), "notes.txt"))
            with pytest.raises(discord.HTTPException) as too_long:
                await channel.send("x" * 2001)
        assert sent.content == "eventually"
        assert [a.filename for a in with_file.attachments] == ["notes.txt"]
        posts = fake.requests("create_message")
        assert [p.status for p in posts] == [429, 200, 200, 400]
        assert posts[0].response["retry_after"] == 0.2
        assert posts[2].json["content"] == "file" and posts[2].files[0].data == b"abc"
        assert too_long.value.status == 400 and too_long.value.code == 50035
        assert [m["content"] for m in fake.messages(fake.world.channel.id)] == ["eventually", "file"]

    with fake_discord() as fake:
        asyncio.run(scenario(fake))


@pytest.mark.timeout(60)
def test_unknown_routes_answer_not_found() -> None:
    async def scenario(fake: FakeDiscord) -> None:
        client = quick_client()
        async with running(client):
            with pytest.raises(discord.NotFound):
                await client.fetch_guild(fake.world.guild.id)
        (miss,) = [r for r in fake.requests() if r.status == 404]
        assert miss.route is None and miss.response == {"message": "404: Not Found", "code": 0}

    with fake_discord() as fake:
        asyncio.run(scenario(fake))


@pytest.mark.timeout(60)
def test_auto_sharded_client_uses_gateway_bot() -> None:
    class QuickShardedClient(discord.AutoShardedClient):
        async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
            pass  # the default sleeps 5 s between shards

    async def scenario(fake: FakeDiscord) -> None:
        client = quick_client(cls=QuickShardedClient)
        async with running(client):
            assert client.shard_count == 2
            guild = client.get_guild(fake.world.guild.id)
            assert guild is not None
            guild_shard = guild.shard_id
        assert [r.route for r in fake.requests()][:3] == ["get_current_user", "application_info", "get_gateway_bot"]
        shards = sorted(c.shard for c in fake.connections() if c.shard is not None)
        assert shards == [(0, 2), (1, 2)]
        assert guild_shard == (fake.world.guild.id >> 22) % 2

    with fake_discord(shard_count=2) as fake:
        asyncio.run(scenario(fake))


@pytest.mark.timeout(60)
def test_late_heartbeats_reveal_a_blocked_event_loop() -> None:
    async def scenario(fake: FakeDiscord) -> None:
        client = quick_client()
        async with running(client):
            await asyncio.sleep(1.3)  # a healthy client: on-time heartbeats
            (connection,) = fake.connections()
            assert len(connection.heartbeats) >= 3
            assert connection.client_sequence == connection.sequence
            assert fake.late_heartbeats(tolerance=0.6) == []
            time.sleep(1.5)  # what a bot doing blocking work in a handler does to its loop
            await asyncio.sleep(0.2)
            late = fake.late_heartbeats(tolerance=0.6)
        assert len(late) == 1 and late[0].gap >= 1.4

    with fake_discord(heartbeat_interval=0.5) as fake:
        asyncio.run(scenario(fake))


@pytest.mark.timeout(60)
def test_world_is_configurable_for_load_tests() -> None:
    world = World.default()
    users = [world.add_user(f"user{i}") for i in range(20)]

    async def scenario(fake: FakeDiscord) -> None:
        client = quick_client(discord.Intents.default() | discord.Intents(members=True, message_content=True))
        handled: list[int] = []

        @client.event
        async def on_message(message: discord.Message) -> None:
            if message.author != client.user:
                handled.append(message.author.id)
                await message.reply(f"hello {message.author.name}")

        async with running(client):
            sent = [fake.send_message(fake.world.channel.id, u.id, f"hi from {u.name}") for u in users]
            replies = await asyncio.gather(*(fake.wait_for_reply(int(m["id"])) for m in sent))
            late_joiner = fake.add_user("late")
            for _ in range(100):
                if client.get_guild(fake.world.guild.id).get_member(late_joiner.id):  # type: ignore[union-attr]
                    break
                await asyncio.sleep(0.01)
            else:
                pytest.fail("GUILD_MEMBER_ADD did not reach the client")
        assert sorted(handled) == sorted(u.id for u in users)
        assert {r["content"] for r in replies} == {f"hello {u.name}" for u in users}

    with fake_discord(world=world) as fake:
        asyncio.run(scenario(fake))


@pytest.mark.timeout(60)
def test_interaction_messages_threads_and_options() -> None:
    async def scenario(fake: FakeDiscord) -> None:
        client = quick_client(discord.Intents.default() | discord.Intents(members=True))
        tree = app_commands.CommandTree(client)
        notes = app_commands.Group(name="notes", description="Notes")
        about = app_commands.Group(name="about", description="About someone", parent=notes)

        @about.command(name="user", description="Describe a user")
        async def about_user(interaction: discord.Interaction, who: discord.Member, where: discord.TextChannel) -> None:
            await interaction.response.send_message(f"{who.name} in {where.name}")
            await interaction.edit_original_response(content=f"{who.name} in #{where.name}")
            followup = await interaction.followup.send("more", wait=True)
            await followup.edit(content="more, edited")
            original = await interaction.original_response()
            thread = await original.channel.create_thread(name="details", type=discord.ChannelType.public_thread)  # type: ignore[union-attr]
            await thread.send("in the thread")

        tree.add_command(notes)
        client.setup_hook = tree.sync  # type: ignore[assignment,method-assign]
        async with running(client):
            alice = fake.world.user("alice")
            interaction = fake.invoke_slash_command(
                "notes about user", {"who": alice.id, "where": fake.world.channel.id}, user_id=fake.world.user("admin").id
            )
            record = await fake.wait_for_interaction(interaction.id, lambda r: bool(r.followups) and "edited" in r.followups[0]["content"])
            assert record.callbacks[0]["data"]["content"] == "alice in general"
            assert record.original is not None and record.original["content"] == "alice in #general"
            assert record.original["edited_timestamp"] is not None
            thread_post = await fake.wait_for_request(lambda r: r.route == "create_message")
            thread_id = int(thread_post.params["channel_id"])
            assert fake.world.find_channel(thread_id) is not None
            assert client.get_channel(thread_id) is not None, "THREAD_CREATE reached the client"
            members = await client.get_guild(fake.world.guild.id).chunk()  # type: ignore[union-attr]
            assert len(members) == 4
        assert [m["content"] for m in fake.messages(thread_id)] == ["in the thread"]
        routes = [r.route for r in fake.requests() if r.route and r.route.endswith("webhook_message")]
        assert routes == ["edit_webhook_message", "edit_webhook_message", "get_webhook_message"]

    with fake_discord() as fake:
        asyncio.run(scenario(fake))


@pytest.mark.timeout(60)
def test_direct_messages_and_an_abrupt_disconnect() -> None:
    async def scenario(fake: FakeDiscord) -> None:
        client = quick_client()  # no message_content intent: DMs still carry content

        @client.event
        async def on_message(message: discord.Message) -> None:
            if message.author != client.user and message.guild is None:
                await message.author.send(f"you said {message.content}")

        async with running(client, reconnect=True):
            alice = fake.world.user("alice")
            dm_id = fake.dm_channel_id(alice.id)
            fake.drop_connections(None)  # no close frame, just a dead socket
            await fake.wait_for_connection(lambda c: c.resumed)
            fake.send_message(dm_id, alice.id, "psst")
            reply = await fake.wait_for_message(dm_id)
        assert reply["content"] == "you said psst" and "guild_id" not in reply

    with fake_discord() as fake:
        asyncio.run(scenario(fake))
