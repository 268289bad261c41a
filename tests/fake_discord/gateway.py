"""The gateway websocket: HELLO, heartbeats, IDENTIFY/READY/GUILD_CREATE, RESUME,
per-session sequence numbers, event dispatch filtered by intents, and a record of
every heartbeat's arrival so tests can prove a bot's event loop never stalled.

All of it runs on the server's loop. Frames are plain JSON text: discord.py 2.7.1
only runs its zlib-stream decompressor on binary frames, even when it asks for
``compress=zlib-stream``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import WSMsgType, web

from . import payloads
from .store import Store

JSON = dict[str, Any]
RESUME_BUFFER = 5000  # dispatches kept per session for replay on RESUME


class Intent:
    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15
    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


class Op:
    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE_UPDATE = 3
    VOICE_STATE_UPDATE = 4
    RESUME = 6
    REQUEST_GUILD_MEMBERS = 8
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11


class CloseCode:
    UNKNOWN_ERROR = 4000  # resumable
    UNKNOWN_OPCODE = 4001
    DECODE_ERROR = 4002
    NOT_AUTHENTICATED = 4003
    AUTHENTICATION_FAILED = 4004
    ALREADY_AUTHENTICATED = 4005
    INVALID_SHARD = 4010
    DISALLOWED_INTENTS = 4014


@dataclass
class Session:
    """A gateway session: outlives its connection so it can be resumed."""

    id: str
    shard_id: int
    shard_count: int
    intents: int
    seq: int = 0
    history: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=RESUME_BUFFER))  # (seq, frame)
    connection: Connection | None = None

    def handles_guild(self, guild_id: int | None) -> bool:
        """Discord's shard formula; DMs go to shard 0."""
        if guild_id is None:
            return self.shard_id == 0
        return (guild_id >> 22) % self.shard_count == self.shard_id


@dataclass(eq=False)
class Connection:
    """One websocket. Outgoing frames go through ``outbox`` so their order is the order
    in which the (synchronous) server code produced them."""

    id: int
    path: str
    opened_at: float
    outbox: asyncio.Queue[tuple[str, Any]] = field(default_factory=asyncio.Queue)
    heartbeats: list[float] = field(default_factory=list)
    client_sequence: int | None = None  # the last sequence number the client reported
    session: Session | None = None
    identified: bool = False
    resumed: bool = False
    closed_at: float | None = None
    close_code: int | None = None
    closed_by_server: bool = False

    def send(self, frame: JSON | str) -> None:
        self.outbox.put_nowait(("frame", frame if isinstance(frame, str) else json.dumps(frame)))

    def close(self, code: int | None) -> None:
        """Close with ``code``; ``None`` drops the TCP connection without a close frame."""
        self.closed_by_server = True
        self.close_code = code
        self.outbox.put_nowait(("close", code))


@dataclass(frozen=True)
class ConnectionInfo:
    """A snapshot of one gateway connection for tests."""

    id: int
    path: str
    opened_at: float
    closed_at: float | None
    close_code: int | None
    closed_by_server: bool
    session_id: str | None
    shard: tuple[int, int] | None
    intents: int | None
    identified: bool
    resumed: bool
    heartbeats: tuple[float, ...]  # monotonic arrival times
    sequence: int | None  # the session's last dispatched sequence number
    client_sequence: int | None  # the last one the client acknowledged in a heartbeat


@dataclass(frozen=True)
class LateHeartbeat:
    """A gap between heartbeats (or connect/close) longer than allowed."""

    connection_id: int
    after: float  # monotonic time of the previous heartbeat (or of the connect)
    gap: float


class Gateway:
    def __init__(
        self,
        store: Store,
        *,
        token: str,
        heartbeat_interval: float,
        resume_url: str,
        enabled_privileged_intents: int,
        on_change: Callable[[], None],
    ) -> None:
        self.store = store
        self.token = token
        self.heartbeat_interval = heartbeat_interval
        self.resume_url = resume_url
        self.enabled_privileged_intents = enabled_privileged_intents
        self.on_change = on_change
        self.forced_identify_close: int | None = None
        self._sessions: dict[str, Session] = {}
        self._connections: list[Connection] = []
        self._ids = itertools.count(1)

    # -- websocket handling ----------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Connection(next(self._ids), request.path, time.monotonic())
        self._connections.append(conn)
        writer = asyncio.create_task(self._write(conn, ws, request))
        conn.send({"op": Op.HELLO, "d": {"heartbeat_interval": int(self.heartbeat_interval * 1000)}})
        self.on_change()
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    conn.close(CloseCode.DECODE_ERROR)
                    continue
                try:
                    frame = json.loads(msg.data)
                except ValueError:
                    conn.close(CloseCode.DECODE_ERROR)
                    continue
                self._receive(conn, frame)
                self.on_change()
        finally:
            if conn.closed_by_server:
                await asyncio.wait([writer], timeout=5)
            writer.cancel()
            self._closed(conn, ws)
        return ws

    async def _write(self, conn: Connection, ws: web.WebSocketResponse, request: web.Request) -> None:
        while True:
            kind, value = await conn.outbox.get()
            try:
                if kind == "frame":
                    await ws.send_str(value)
                elif value is None:
                    assert request.transport is not None
                    request.transport.close()
                    return
                else:
                    await ws.close(code=value)
                    return
            except ConnectionError:
                return

    def _closed(self, conn: Connection, ws: web.WebSocketResponse) -> None:
        conn.closed_at = time.monotonic()
        if not conn.closed_by_server:
            conn.close_code = ws.close_code
        session = conn.session
        if session is not None and session.connection is conn:
            session.connection = None
            if not conn.closed_by_server and conn.close_code in (1000, 1001):
                del self._sessions[session.id]  # a clean close ends the session, as on Discord
        self.on_change()

    def _receive(self, conn: Connection, frame: JSON) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == Op.HEARTBEAT:
            conn.heartbeats.append(time.monotonic())
            conn.client_sequence = data
            conn.send({"op": Op.HEARTBEAT_ACK})
        elif op == Op.IDENTIFY:
            self._identify(conn, data)
        elif op == Op.RESUME:
            self._resume(conn, data)
        elif conn.session is None:
            conn.close(CloseCode.NOT_AUTHENTICATED)
        elif op == Op.REQUEST_GUILD_MEMBERS:
            self._request_members(conn.session, data)
        elif op not in (Op.PRESENCE_UPDATE, Op.VOICE_STATE_UPDATE):
            conn.close(CloseCode.UNKNOWN_OPCODE)

    def _identify(self, conn: Connection, data: JSON) -> None:
        intents = int(data.get("intents") or 0)
        shard_id, shard_count = data.get("shard") or (0, 1)
        if conn.session is not None:
            code = CloseCode.ALREADY_AUTHENTICATED
        elif data.get("token") != self.token:
            code = CloseCode.AUTHENTICATION_FAILED
        elif self.forced_identify_close is not None:
            code, self.forced_identify_close = self.forced_identify_close, None
        elif intents & Intent.PRIVILEGED & ~self.enabled_privileged_intents:
            code = CloseCode.DISALLOWED_INTENTS
        elif not 0 <= shard_id < shard_count:
            code = CloseCode.INVALID_SHARD
        else:
            code = None
        if code is not None:
            conn.close(code)
            return
        session = Session(uuid.uuid4().hex, shard_id, shard_count, intents, connection=conn)
        self._sessions[session.id] = session
        conn.session, conn.identified = session, True
        world = self.store.world
        ready: JSON = {
            "v": 10,
            "user": payloads.bot_user(world.bot),
            "guilds": [{"id": str(g), "unavailable": True} for g in world.guilds if session.handles_guild(g)],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_url,
            "application": {"id": str(world.application_id), "flags": application_flags(self.enabled_privileged_intents)},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
        }
        if "shard" in data:
            ready["shard"] = [shard_id, shard_count]
        self._send(session, "READY", ready)
        for guild in world.guilds.values():
            if session.handles_guild(guild.id):
                with_members = bool(intents & Intent.GUILD_MEMBERS)
                self._send(session, "GUILD_CREATE", payloads.guild_create(world, guild, with_all_members=with_members))

    def _resume(self, conn: Connection, data: JSON) -> None:
        session = self._sessions.get(data.get("session_id", ""))
        if data.get("token") != self.token:
            conn.close(CloseCode.AUTHENTICATION_FAILED)
            return
        last_seen = data.get("seq") or 0
        if session is None or (session.history and last_seen < session.history[0][0] - 1):
            conn.send({"op": Op.INVALID_SESSION, "d": False})  # unknown, or missed events are gone
            return
        session.connection = conn
        conn.session, conn.resumed = session, True
        for seq, frame in session.history:
            if seq > last_seen:
                conn.send(frame)
        self._send(session, "RESUMED", {})

    def _request_members(self, session: Session, data: JSON) -> None:
        world = self.store.world
        guild = world.guilds.get(int(data["guild_id"]))
        if guild is None:
            return
        wanted = [int(u) for u in data.get("user_ids") or []]
        query = (data.get("query") or "").lower()
        ids = [u for u in guild.members if (u in wanted if wanted else world.users[u].name.lower().startswith(query))]
        if data.get("limit"):
            ids = ids[: data["limit"]]
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": [payloads.member(guild, world.users, u) for u in ids],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if wanted:
            chunk["not_found"] = [str(u) for u in wanted if u not in guild.members]
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        self._send(session, "GUILD_MEMBERS_CHUNK", chunk)

    # -- dispatching -----------------------------------------------------------
    def _send(self, session: Session, event: str, data: JSON) -> None:
        session.seq += 1
        frame = json.dumps({"op": Op.DISPATCH, "t": event, "s": session.seq, "d": data})
        session.history.append((session.seq, frame))
        if session.connection is not None:
            session.connection.send(frame)

    def dispatch(self, event: str, data: JSON, *, guild_id: int | None, intent: int | None) -> int:
        """Send an event to every session that shards ``guild_id`` and has ``intent``
        (None: always delivered, like INTERACTION_CREATE). Returns the session count."""
        sessions = [
            s for s in self._sessions.values() if s.handles_guild(guild_id) and (intent is None or s.intents & intent)
        ]
        for session in sessions:
            self._send(session, event, data)
        return len(sessions)

    def dispatch_message(self, event: str, message: JSON) -> int:
        """MESSAGE_CREATE/UPDATE with Discord's message-content rule: without the
        MESSAGE_CONTENT intent, content, embeds, attachments and components arrive empty
        unless the message is a DM, mentions the bot, or is the bot's own."""
        guild_id = int(message["guild_id"]) if "guild_id" in message else None
        intent = Intent.GUILD_MESSAGES if guild_id is not None else Intent.DIRECT_MESSAGES
        bot_id = str(self.store.world.bot.id)
        exempt = (
            guild_id is None
            or message["author"]["id"] == bot_id
            or any(m["id"] == bot_id for m in message.get("mentions", []))
        )
        blanked = {**message, "content": "", "embeds": [], "attachments": [], "components": []}
        count = 0
        for session in list(self._sessions.values()):
            if session.handles_guild(guild_id) and session.intents & intent:
                visible = exempt or session.intents & Intent.MESSAGE_CONTENT
                self._send(session, event, message if visible else blanked)
                count += 1
        return count

    # -- test controls -----------------------------------------------------------
    def drop_connections(self, code: int | None) -> int:
        open_connections = [c for c in self._connections if c.closed_at is None and not c.closed_by_server]
        for conn in open_connections:
            conn.close(code)
        return len(open_connections)

    async def close_all(self) -> None:
        self.drop_connections(1001)
        # give the handlers a moment to finish their closing handshakes
        for _ in range(50):
            if all(c.closed_at is not None for c in self._connections):
                return
            await asyncio.sleep(0.02)

    def dispatched(self, event: str) -> list[tuple[tuple[int, int], JSON]]:
        """Every ``event`` sent so far (the last RESUME_BUFFER per session), each with the
        (shard id, shard count) of the session it went to."""
        sent = []
        for session in self._sessions.values():
            for _, frame in session.history:
                payload = json.loads(frame)
                if payload.get("t") == event:
                    sent.append(((session.shard_id, session.shard_count), payload["d"]))
        return sent

    def connection_infos(self) -> list[ConnectionInfo]:
        return [
            ConnectionInfo(
                id=c.id,
                path=c.path,
                opened_at=c.opened_at,
                closed_at=c.closed_at,
                close_code=c.close_code,
                closed_by_server=c.closed_by_server,
                session_id=c.session.id if c.session else None,
                shard=(c.session.shard_id, c.session.shard_count) if c.session else None,
                intents=c.session.intents if c.session else None,
                identified=c.identified,
                resumed=c.resumed,
                heartbeats=tuple(c.heartbeats),
                sequence=c.session.seq if c.session else None,
                client_sequence=c.client_sequence,
            )
            for c in self._connections
        ]

    def late_heartbeats(self, tolerance: float) -> list[LateHeartbeat]:
        """Gaps longer than ``heartbeat_interval * (1 + tolerance)`` between a connection's
        opening, its heartbeats, and its closing (or now, if it is still open)."""
        limit = self.heartbeat_interval * (1 + tolerance)
        now = time.monotonic()
        late = []
        for conn in self._connections:
            points = [conn.opened_at, *conn.heartbeats, conn.closed_at or now]
            for before, after in zip(points, points[1:]):
                if after - before > limit:
                    late.append(LateHeartbeat(conn.id, before, after - before))
        return late


def application_flags(enabled_privileged_intents: int) -> int:
    """The application's "limited" gateway-intent flags for the enabled intents."""
    flags = 0
    if enabled_privileged_intents & Intent.GUILD_PRESENCES:
        flags |= 1 << 13
    if enabled_privileged_intents & Intent.GUILD_MEMBERS:
        flags |= 1 << 15
    if enabled_privileged_intents & Intent.MESSAGE_CONTENT:
        flags |= 1 << 19
    return flags
