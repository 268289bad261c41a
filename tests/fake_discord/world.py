"""The fake server's model of Discord: users, guilds, roles, channels and members.

Plain data with a few helpers. Once the server runs, the server's loop owns it:
tests may read ids from it (the lookups below iterate over snapshots), but change
it only through ``FakeDiscord`` methods, or before ``FakeDiscord.start()``.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field

DISCORD_EPOCH_MS = 1_420_070_400_000


class Snowflakes:
    """Makes unique, time-ordered Discord ids (timestamp << 22 | counter).

    Real-looking ids matter: discord.py derives ``created_at`` from them and
    AutoShardedClient routes guilds by ``(guild_id >> 22) % shard_count``.
    """

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            increment = next(self._counter) & 0x3FFFFF
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (millis << 22) | increment


class Permission:
    """Permission bits the fake needs (values from Discord's API docs)."""

    ADD_REACTIONS = 1 << 6
    ADMINISTRATOR = 1 << 3
    MANAGE_GUILD = 1 << 5
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    SEND_MESSAGES_IN_THREADS = 1 << 38
    ALL = (1 << 53) - 1

    EVERYONE_DEFAULT = (
        VIEW_CHANNEL
        | SEND_MESSAGES
        | ADD_REACTIONS
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | SEND_MESSAGES_IN_THREADS
    )


class ChannelType:
    GUILD_TEXT = 0
    DM = 1
    PUBLIC_THREAD = 11
    THREAD_TYPES = (10, 11, 12)


@dataclass
class FakeUser:
    id: int
    name: str
    bot: bool = False


@dataclass
class FakeRole:
    id: int
    name: str
    permissions: int
    position: int
    bot_id: int | None = None  # set for the bot's managed role


@dataclass
class FakeMember:
    user_id: int
    role_ids: list[int]
    joined_at: float = field(default_factory=time.time)


@dataclass
class FakeChannel:
    """A guild text channel, a thread (parent_id set) or a DM (recipient_id set)."""

    id: int
    name: str
    type: int
    guild_id: int | None
    position: int = 0
    parent_id: int | None = None
    owner_id: int | None = None
    recipient_id: int | None = None
    created_at: float = field(default_factory=time.time)

    @property
    def is_thread(self) -> bool:
        return self.type in ChannelType.THREAD_TYPES


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, FakeRole] = field(default_factory=dict)
    channels: dict[int, FakeChannel] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)
    joined_at: float = field(default_factory=time.time)

    @property
    def everyone(self) -> FakeRole:
        return self.roles[self.id]

    @property
    def text_channels(self) -> list[FakeChannel]:
        return [c for c in list(self.channels.values()) if c.type == ChannelType.GUILD_TEXT]

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions as Discord computes them (no channel overwrites)."""
        if user_id == self.owner_id:
            return Permission.ALL
        member = self.members[user_id]
        value = self.everyone.permissions
        for role_id in member.role_ids:
            value |= self.roles[role_id].permissions
        return Permission.ALL if value & Permission.ADMINISTRATOR else value


class World:
    """Everything the fake Discord knows about, plus id generation."""

    def __init__(self, *, bot_name: str = "FakeBot", application_id: int | None = None) -> None:
        self.ids = Snowflakes()
        self.bot = FakeUser(self.ids.next(), bot_name, bot=True)
        self.application_id = application_id if application_id is not None else self.bot.id
        self.application_owner_id = self.bot.id
        self.users: dict[int, FakeUser] = {self.bot.id: self.bot}
        self.guilds: dict[int, FakeGuild] = {}
        self.dm_channels: dict[int, FakeChannel] = {}

    @classmethod
    def default(cls) -> World:
        """One guild "Test Guild" with #general, an "admin" role (Manage Server), and the
        users "owner" (owns the guild and the application), "admin" (has the admin
        role) and "alice" (no roles)."""
        world = cls()
        owner = world.add_user("owner")
        world.application_owner_id = owner.id
        guild = world.add_guild("Test Guild", owner_id=owner.id)
        world.add_text_channel(guild.id, "general")
        admin_role = world.add_role(guild.id, "admin", Permission.MANAGE_GUILD)
        world.add_user("admin", role_ids=[admin_role.id])
        world.add_user("alice")
        return world

    # -- lookups ---------------------------------------------------------------
    @property
    def guild(self) -> FakeGuild:
        """The first guild (the only one in the default world)."""
        return next(iter(self.guilds.values()))

    @property
    def channel(self) -> FakeChannel:
        """The first text channel of the first guild."""
        return self.guild.text_channels[0]

    def user(self, name: str) -> FakeUser:
        return next(u for u in list(self.users.values()) if u.name == name)

    def find_channel(self, channel_id: int) -> FakeChannel | None:
        if channel_id in self.dm_channels:
            return self.dm_channels[channel_id]
        for guild in list(self.guilds.values()):
            channel = guild.channels.get(channel_id)
            if channel is not None:
                return channel
        return None

    # -- building --------------------------------------------------------------
    def add_guild(self, name: str, *, owner_id: int, guild_id: int | None = None) -> FakeGuild:
        """A guild with @everyone (id == guild id), the bot's managed role and the bot
        and owner as members."""
        guild = FakeGuild(guild_id or self.ids.next(), name, owner_id)
        guild.roles[guild.id] = FakeRole(guild.id, "@everyone", Permission.EVERYONE_DEFAULT, 0)
        bot_role = FakeRole(
            self.ids.next(),
            self.bot.name,
            Permission.EVERYONE_DEFAULT | Permission.MANAGE_THREADS | Permission.MANAGE_MESSAGES,
            1,
            bot_id=self.bot.id,
        )
        guild.roles[bot_role.id] = bot_role
        guild.members[self.bot.id] = FakeMember(self.bot.id, [bot_role.id])
        guild.members[owner_id] = FakeMember(owner_id, [])
        self.guilds[guild.id] = guild
        return guild

    def add_text_channel(self, guild_id: int, name: str) -> FakeChannel:
        guild = self.guilds[guild_id]
        channel = FakeChannel(self.ids.next(), name, ChannelType.GUILD_TEXT, guild_id, len(guild.channels))
        guild.channels[channel.id] = channel
        return channel

    def add_thread(self, parent: FakeChannel, name: str, *, type: int, owner_id: int, thread_id: int | None = None) -> FakeChannel:
        guild = self.guilds[parent.guild_id]  # type: ignore[index]
        thread = FakeChannel(
            thread_id or self.ids.next(), name, type, parent.guild_id, parent_id=parent.id, owner_id=owner_id
        )
        guild.channels[thread.id] = thread
        return thread

    def add_role(self, guild_id: int, name: str, permissions: int) -> FakeRole:
        guild = self.guilds[guild_id]
        role = FakeRole(self.ids.next(), name, permissions, len(guild.roles))
        guild.roles[role.id] = role
        return role

    def add_user(self, name: str, *, guild_id: int | None = None, role_ids: list[int] | None = None) -> FakeUser:
        """A user who is a member of ``guild_id`` (default: the first guild, if any)."""
        user = FakeUser(self.ids.next(), name)
        self.users[user.id] = user
        if guild_id is None and self.guilds:
            guild_id = self.guild.id
        if guild_id is not None:
            self.guilds[guild_id].members[user.id] = FakeMember(user.id, list(role_ids or []))
        return user

    def dm_channel_for(self, user_id: int) -> FakeChannel:
        """The bot's DM channel with a user, made on first use as Discord does."""
        for channel in self.dm_channels.values():
            if channel.recipient_id == user_id:
                return channel
        channel = FakeChannel(self.ids.next(), "", ChannelType.DM, None, recipient_id=user_id)
        self.dm_channels[channel.id] = channel
        return channel
