"""FakeDiscord: a Discord REST API and gateway on 127.0.0.1 for end-to-end tests of a
bot running the real discord.py client.

The server runs in its own thread with its own event loop, so its clock and its
heartbeat bookkeeping stay honest even when the bot blocks the test's loop. All
server state lives on that loop; every public method hops onto it (briefly
blocking the caller) and returns copies, and the ``wait_for_*`` coroutines wait in
the caller's loop without blocking it.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
import socket
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Callable, Mapping, Sequence, TypeVar

from aiohttp import web

from . import command_data, payloads
from .gateway import ConnectionInfo, Gateway, Intent, LateHeartbeat
from .rest import API, RestApi
from .store import InteractionRecord, RecordedRequest, Store
from .waiting import Watchers
from .world import FakeUser, World

JSON = dict[str, Any]
T = TypeVar("T")
HOST = "127.0.0.1"
GATEWAY_PATHS = ("/gateway", "/gateway/")
RESUME_GATEWAY_PATH = "/resume-gateway/"


@dataclass(frozen=True)
class FakeInteraction:
    """What a test needs to find the bot's answers to an injected interaction."""

    id: int
    token: str
    payload: JSON


class FakeDiscord:
    """A fake Discord for one test. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        world: World | None = None,
        *,
        token: str = "fake-bot-token",
        heartbeat_interval: float = 41.25,
        shard_count: int = 1,
        enabled_privileged_intents: int = Intent.PRIVILEGED,
        interaction_deadline: float = 3.0,
    ) -> None:
        """``heartbeat_interval`` is in seconds; ``shard_count`` is what GET /gateway/bot
        recommends; ``enabled_privileged_intents`` are the privileged intents switched
        on "in the developer portal" (others make IDENTIFY fail with 4014);
        ``interaction_deadline`` is how long an interaction waits for its first
        callback (3 s on Discord)."""
        self.world = world if world is not None else World.default()
        self.token = token
        self.heartbeat_interval = heartbeat_interval
        self.shard_count = shard_count
        self.enabled_privileged_intents = enabled_privileged_intents
        self.interaction_deadline = interaction_deadline
        self._store = Store(self.world)
        self._watchers = Watchers()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._gateway: Gateway | None = None
        self._port: int | None = None

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> FakeDiscord:
        loop = asyncio.new_event_loop()
        started = threading.Event()
        self._thread = threading.Thread(target=self._run_loop, args=(loop, started), name="fake-discord", daemon=True)
        self._thread.start()
        started.wait()
        self._loop = loop
        asyncio.run_coroutine_threadsafe(self._serve(), loop).result(timeout=10)
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> FakeDiscord:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop, started: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(started.set)
        loop.run_forever()

    async def _serve(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((HOST, 0))
        self._port = sock.getsockname()[1]
        self._gateway = Gateway(
            self._store,
            token=self.token,
            heartbeat_interval=self.heartbeat_interval,
            resume_url=f"ws://{HOST}:{self._port}{RESUME_GATEWAY_PATH}",
            enabled_privileged_intents=self.enabled_privileged_intents,
            on_change=self._watchers.check,
        )
        app = web.Application()
        RestApi(
            self._store,
            self._gateway,
            token=self.token,
            gateway_url=self.gateway_url,
            shard_count=self.shard_count,
            interaction_deadline=self.interaction_deadline,
            attachment_base_url=f"http://{HOST}:{self._port}/attachments",
            on_change=self._watchers.check,
        ).install(app)
        for path in (*GATEWAY_PATHS, RESUME_GATEWAY_PATH):
            app.router.add_get(path, self._gateway.handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _shutdown(self) -> None:
        assert self._gateway is not None and self._runner is not None
        await self._gateway.close_all()
        await self._runner.cleanup()

    # -- addresses ---------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return self._port

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be."""
        return f"http://{HOST}:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be (trailing slash kept)."""
        return f"ws://{HOST}:{self.port}/gateway/"

    # -- running code on the server's loop --------------------------------------------
    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the server's loop (directly if not started) and return a copy."""
        loop = self._loop
        if loop is None or threading.current_thread() is self._thread:
            return copy.deepcopy(fn(*args, **kwargs))

        async def run() -> T:
            result = copy.deepcopy(fn(*args, **kwargs))
            self._watchers.check()
            return result

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout=10)

    async def wait_until(self, probe: Callable[[], T | None], *, timeout: float = 5.0, what: str = "condition") -> T:
        """Wait (without blocking this loop) until ``probe``, run on the server's loop
        after every change, returns something other than None; return a copy of it."""
        if self._loop is None:
            raise RuntimeError("FakeDiscord is not started")
        future = asyncio.run_coroutine_threadsafe(self._add_watcher(probe), self._loop).result(timeout=10)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except TimeoutError:
            raise TimeoutError(f"fake Discord saw no {what} within {timeout} s") from None

    async def _add_watcher(self, probe: Callable[[], Any]) -> Any:
        return self._watchers.add(probe)

    # -- world -------------------------------------------------------------------------------
    def add_user(self, name: str, *, guild_id: int | None = None, role_ids: Sequence[int] = ()) -> FakeUser:
        """A new member of ``guild_id`` (default: the first guild); connected bots with
        the GUILD_MEMBERS intent get GUILD_MEMBER_ADD."""

        def add() -> FakeUser:
            user = self.world.add_user(name, guild_id=guild_id, role_ids=list(role_ids))
            if self._gateway is not None:
                for guild in self.world.guilds.values():
                    if user.id in guild.members:
                        member = {**payloads.member(guild, self.world.users, user.id), "guild_id": str(guild.id)}
                        self._gateway.dispatch("GUILD_MEMBER_ADD", member, guild_id=guild.id, intent=Intent.GUILD_MEMBERS)
            return user

        return self._call(add)

    def dm_channel_id(self, user_id: int) -> int:
        """The id of the bot's DM channel with ``user_id`` (made on first use)."""
        return self._call(lambda: self.world.dm_channel_for(user_id).id)

    # -- switches ----------------------------------------------------------------------------
    def rate_limit_next_messages(self, count: int = 1, *, retry_after: float = 0.25) -> None:
        """Answer the next ``count`` POST /channels/{id}/messages with HTTP 429."""

        def switch() -> None:
            self._store.rate_limited_posts = count
            self._store.rate_limit_retry_after = retry_after

        self._call(switch)

    def close_next_identify(self, code: int) -> None:
        """Close the next connection that IDENTIFYs with ``code`` (e.g. 4004) instead of READY."""

        def switch() -> None:
            assert self._gateway is not None
            self._gateway.forced_identify_close = code

        self._call(switch)

    def drop_connections(self, code: int | None = 4000) -> int:
        """Close every open gateway connection with ``code`` (4000 is resumable);
        ``None`` cuts the TCP connection without a close frame. Returns how many."""
        return self._call(lambda: self._require_gateway().drop_connections(code))

    def _require_gateway(self) -> Gateway:
        if self._gateway is None:
            raise RuntimeError("FakeDiscord is not started")
        return self._gateway

    # -- injecting user activity ------------------------------------------------------------
    def send_message(
        self,
        channel_id: int,
        author_id: int,
        content: str,
        *,
        mentions: Sequence[int] | None = None,
        mention_roles: Sequence[int] | None = None,
        reply_to: int | None = None,
        embeds: Sequence[JSON] = (),
        attachments: Sequence[JSON] = (),
    ) -> JSON:
        """A user posts a message: stored and sent as MESSAGE_CREATE. Mentions default
        to the ``<@id>``/``<@&id>`` found in ``content``, as Discord computes them."""

        def send() -> JSON:
            channel = self.world.find_channel(channel_id)
            if channel is None:
                raise KeyError(f"unknown channel {channel_id}")
            found_users, found_roles = payloads.mentioned_ids(content)
            referenced = self._store.messages[reply_to] if reply_to is not None else None
            message = payloads.message(
                self.world,
                message_id=self.world.ids.next(),
                chan=channel,
                author=self.world.users[author_id],
                content=content,
                mention_ids=list(mentions) if mentions is not None else found_users,
                mention_role_ids=list(mention_roles) if mention_roles is not None else found_roles,
                embeds=list(embeds),
                attachments=list(attachments),
                referenced=referenced,
            )
            self._store.messages[int(message["id"])] = message
            self._require_gateway().dispatch_message("MESSAGE_CREATE", message)
            return message

        return self._call(send)

    def invoke_slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user_id: int,
        channel_id: int | None = None,
        permissions: int | None = None,
        app_permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """A user runs a synced slash command (``"group sub"`` names a subcommand) and
        the bot gets INTERACTION_CREATE. ``permissions`` overrides the member's computed
        permissions (e.g. 0 for someone without Manage Server); ``app_permissions``
        the bot's. Raises LookupError if the bot never synced the command."""

        def invoke() -> FakeInteraction:
            channel = self.world.find_channel(channel_id if channel_id is not None else self.world.channel.id)
            if channel is None:
                raise KeyError(f"unknown channel {channel_id}")
            top, *path = name.split()
            command = self._store.find_command(top, channel.guild_id)
            if command is None:
                synced = {scope: [c["name"] for c in cmds] for scope, cmds in self._store.commands.items()}
                raise LookupError(f"slash command {top!r} was not synced (synced: {synced})")
            data = command_data.build(self.world, command, path, options or {}, channel.guild_id)
            guild = self.world.guilds.get(channel.guild_id) if channel.guild_id is not None else None
            interaction_id = self.world.ids.next()
            token = "interaction-" + secrets.token_urlsafe(24)
            payload = payloads.interaction(
                self.world,
                interaction_id=interaction_id,
                token=token,
                chan=channel,
                user_id=user_id,
                command_data=data,
                permissions=permissions if permissions is not None else (guild.permissions_of(user_id) if guild else 0),
                app_permissions=app_permissions if app_permissions is not None else (guild.permissions_of(self.world.bot.id) if guild else 0),
                locale=locale,
            )
            self._store.interactions[interaction_id] = InteractionRecord(interaction_id, token, payload)
            self._require_gateway().dispatch("INTERACTION_CREATE", payload, guild_id=channel.guild_id, intent=None)
            return FakeInteraction(interaction_id, token, payload)

        return self._call(invoke)

    # -- inspecting --------------------------------------------------------------------------
    def requests(self, route: str | None = None) -> list[RecordedRequest]:
        """Every REST request so far (or those of one route name, e.g. "create_message")."""
        return self._call(lambda: [r for r in self._store.requests if route is None or r.route == route])

    def messages(self, channel_id: int, *, author_id: int | None = None) -> list[JSON]:
        """Channel messages (injected and bot-posted; interaction responses are kept on
        their InteractionRecord instead)."""
        return self._call(self._store.channel_messages, channel_id, author_id)

    def interaction(self, interaction_id: int) -> InteractionRecord:
        return self._call(lambda: self._store.interactions[interaction_id])

    def synced_commands(self, guild_id: int | None = None) -> list[JSON]:
        """Commands as last synced globally (``guild_id=None``) or for one guild."""
        return self._call(lambda: self._store.commands.get(guild_id, []))

    def connections(self) -> list[ConnectionInfo]:
        return self._call(lambda: self._require_gateway().connection_infos())

    def dispatched(self, event: str) -> list[tuple[tuple[int, int], JSON]]:
        """Each gateway event named ``event`` (e.g. "GUILD_CREATE") sent so far, with the
        (shard id, shard count) of the session that carried it: shows how servers were
        routed over shards."""
        return self._call(lambda: self._require_gateway().dispatched(event))

    def late_heartbeats(self, tolerance: float = 0.5) -> list[LateHeartbeat]:
        """Heartbeat gaps over ``heartbeat_interval * (1 + tolerance)``: a non-empty list
        means the bot's event loop was blocked (discord.py heartbeats from a thread that
        waits on the loop)."""
        return self._call(lambda: self._require_gateway().late_heartbeats(tolerance))

    # -- waiting ----------------------------------------------------------------------------------
    async def wait_for_request(self, predicate: Callable[[RecordedRequest], bool], *, timeout: float = 5.0) -> RecordedRequest:
        """The first recorded request (past or future) matching ``predicate``."""
        return await self.wait_until(
            lambda: next((r for r in self._store.requests if predicate(r)), None), timeout=timeout, what="matching request"
        )

    async def wait_for_message(
        self, channel_id: int, predicate: Callable[[JSON], bool] | None = None, *, timeout: float = 5.0
    ) -> JSON:
        """The first message the bot posted in ``channel_id`` (matching ``predicate``)."""
        bot_id = self.world.bot.id
        return await self.wait_until(
            lambda: next((m for m in self._store.channel_messages(channel_id, bot_id) if predicate is None or predicate(m)), None),
            timeout=timeout,
            what=f"bot message in channel {channel_id}",
        )

    async def wait_for_reply(self, message_id: int, *, timeout: float = 5.0) -> JSON:
        """The bot's first message replying to ``message_id``."""
        bot_id = str(self.world.bot.id)
        return await self.wait_until(
            lambda: next(
                (
                    m
                    for m in self._store.messages.values()
                    if m["author"]["id"] == bot_id and str((m.get("message_reference") or {}).get("message_id")) == str(message_id)
                ),
                None,
            ),
            timeout=timeout,
            what=f"reply to message {message_id}",
        )

    async def wait_for_interaction(
        self, interaction_id: int, predicate: Callable[[InteractionRecord], bool], *, timeout: float = 5.0
    ) -> InteractionRecord:
        records = self._store.interactions
        return await self.wait_until(
            lambda: records[interaction_id] if predicate(records[interaction_id]) else None,
            timeout=timeout,
            what=f"interaction {interaction_id} state",
        )

    async def wait_for_callback(self, interaction_id: int, *, timeout: float = 5.0) -> JSON:
        """The body of the bot's initial response (callback) to an interaction."""
        record = await self.wait_for_interaction(interaction_id, lambda r: bool(r.callbacks), timeout=timeout)
        return record.callbacks[0]

    async def wait_for_followup(self, interaction_id: int, index: int = 0, *, timeout: float = 5.0) -> JSON:
        """The bot's ``index``-th followup message for an interaction."""
        record = await self.wait_for_interaction(interaction_id, lambda r: len(r.followups) > index, timeout=timeout)
        return record.followups[index]

    async def wait_for_connection(self, predicate: Callable[[ConnectionInfo], bool], *, timeout: float = 5.0) -> ConnectionInfo:
        """The first gateway connection (past or future) matching ``predicate``."""
        return await self.wait_until(
            lambda: next((c for c in self._require_gateway().connection_infos() if predicate(c)), None),
            timeout=timeout,
            what="matching gateway connection",
        )
