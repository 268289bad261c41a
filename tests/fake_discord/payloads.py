"""JSON builders for the objects Discord sends: users, members, roles, channels,
guilds, messages, threads and interactions.

Field sets follow what discord.py 2.7.1 reads; keys it indexes directly (e.g.
``attachment_size_limit``, ``member.flags``, ``thread_metadata``) must be present or
the client dies with a KeyError. Ids go out as strings, like Discord's.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from .world import DISCORD_EPOCH_MS, ChannelType, FakeChannel, FakeGuild, FakeRole, FakeUser, World

JSON = dict[str, Any]

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
MESSAGE_FLAG_EPHEMERAL = 1 << 6
MESSAGE_FLAG_LOADING = 1 << 7
MESSAGE_TYPE_DEFAULT = 0
MESSAGE_TYPE_REPLY = 19
MESSAGE_TYPE_CHAT_INPUT_COMMAND = 20

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def iso(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).isoformat()


def user(u: FakeUser) -> JSON:
    data: JSON = {
        "id": str(u.id),
        "username": u.name,
        "discriminator": "0",
        "global_name": None,
        "avatar": None,
        "public_flags": 0,
    }
    if u.bot:
        data["bot"] = True
    return data


def bot_user(u: FakeUser) -> JSON:
    """The bot as GET /users/@me and READY describe it (a ClientUser)."""
    return {**user(u), "flags": 0, "verified": True, "mfa_enabled": False, "locale": "en-US"}


def member(guild: FakeGuild, users: dict[int, FakeUser], user_id: int, *, with_user: bool = True, permissions: int | None = None) -> JSON:
    """A guild member; ``permissions`` is added for interactions and resolved data."""
    m = guild.members[user_id]
    data: JSON = {
        "roles": [str(r) for r in m.role_ids],
        "joined_at": iso(m.joined_at),
        "nick": None,
        "avatar": None,
        "banner": None,
        "premium_since": None,
        "communication_disabled_until": None,
        "pending": False,
        "deaf": False,
        "mute": False,
        "flags": 0,
    }
    if with_user:
        data["user"] = user(users[user_id])
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def role(r: FakeRole) -> JSON:
    data: JSON = {
        "id": str(r.id),
        "name": r.name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.bot_id is not None,
        "mentionable": False,
        "flags": 0,
    }
    if r.bot_id is not None:
        data["tags"] = {"bot_id": str(r.bot_id)}
    return data


def channel(c: FakeChannel, users: dict[int, FakeUser], *, permissions: int | None = None) -> JSON:
    """A text channel, thread or DM; ``permissions`` is added in interactions."""
    if c.type == ChannelType.DM:
        data: JSON = {"id": str(c.id), "type": c.type, "last_message_id": None, "flags": 0}
        data["recipients"] = [user(users[c.recipient_id])] if c.recipient_id is not None else []
    elif c.is_thread:
        data = thread(c)
    else:
        data = {
            "id": str(c.id),
            "type": c.type,
            "guild_id": str(c.guild_id),
            "name": c.name,
            "position": c.position,
            "permission_overwrites": [],
            "nsfw": False,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "parent_id": None,
            "flags": 0,
        }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def thread(c: FakeChannel) -> JSON:
    return {
        "id": str(c.id),
        "type": c.type,
        "guild_id": str(c.guild_id),
        "parent_id": str(c.parent_id),
        "owner_id": str(c.owner_id),
        "name": c.name,
        "last_message_id": None,
        "message_count": 0,
        "total_message_sent": 0,
        "member_count": 1,
        "rate_limit_per_user": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": iso(c.created_at),
            "locked": False,
            "create_timestamp": iso(c.created_at),
        },
    }


def guild_create(world: World, guild: FakeGuild, *, with_all_members: bool) -> JSON:
    """GUILD_CREATE: without the GUILD_MEMBERS intent Discord only lists the bot."""
    member_ids = list(guild.members) if with_all_members else [world.bot.id]
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_progress_bar_enabled": False,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "preferred_locale": "en-US",
        "features": [],
        "emojis": [],
        "stickers": [],
        "large": False,
        "lazy": True,
        "unavailable": False,
        "joined_at": iso(guild.joined_at),
        "member_count": len(guild.members),
        "roles": [role(r) for r in guild.roles.values()],
        "channels": [channel(c, world.users) for c in guild.channels.values() if not c.is_thread],
        "threads": [thread(c) for c in guild.channels.values() if c.is_thread],
        "members": [member(guild, world.users, uid) for uid in member_ids],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def mentioned_ids(content: str) -> tuple[list[int], list[int]]:
    """User and role ids mentioned in message text (``<@id>``, ``<@!id>``, ``<@&id>``)."""
    users = list(dict.fromkeys(int(x) for x in _USER_MENTION.findall(content)))
    roles = list(dict.fromkeys(int(x) for x in _ROLE_MENTION.findall(content)))
    return users, roles


def message(
    world: World,
    *,
    message_id: int,
    chan: FakeChannel,
    author: FakeUser,
    content: str,
    mention_ids: list[int],
    mention_role_ids: list[int],
    embeds: list[JSON] | None = None,
    attachments: list[JSON] | None = None,
    components: list[JSON] | None = None,
    flags: int = 0,
    referenced: JSON | None = None,
    webhook_id: int | None = None,
    extra: JSON | None = None,
) -> JSON:
    """A full message object as MESSAGE_CREATE carries it (guild messages add
    ``member`` for the author and each mention)."""
    guild = world.guilds.get(chan.guild_id) if chan.guild_id is not None else None
    mentions = []
    for uid in mention_ids:
        if uid not in world.users:
            continue
        entry = user(world.users[uid])
        if guild is not None and uid in guild.members:
            entry["member"] = member(guild, world.users, uid, with_user=False)
        mentions.append(entry)
    data: JSON = {
        "id": str(message_id),
        "channel_id": str(chan.id),
        "type": MESSAGE_TYPE_REPLY if referenced is not None else MESSAGE_TYPE_DEFAULT,
        "author": user(author),
        "content": content,
        "timestamp": iso(_snowflake_time(message_id)),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": mentions,
        "mention_roles": [str(r) for r in mention_role_ids],
        "attachments": list(attachments or []),
        "embeds": list(embeds or []),
        "components": list(components or []),
        "pinned": False,
        "flags": flags,
    }
    if guild is not None:
        data["guild_id"] = str(guild.id)
        if author.id in guild.members and webhook_id is None:
            data["member"] = member(guild, world.users, author.id, with_user=False)
    if referenced is not None:
        data["message_reference"] = {
            "type": 0,
            "message_id": referenced["id"],
            "channel_id": referenced["channel_id"],
            **({"guild_id": referenced["guild_id"]} if "guild_id" in referenced else {}),
        }
        data["referenced_message"] = referenced
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
        data["application_id"] = str(webhook_id)
    data.update(extra or {})
    return data


def interaction(
    world: World,
    *,
    interaction_id: int,
    token: str,
    chan: FakeChannel,
    user_id: int,
    command_data: JSON,
    permissions: int,
    app_permissions: int,
    locale: str,
) -> JSON:
    """INTERACTION_CREATE for an application command, with every key discord.py 2.7.1
    indexes directly (attachment_size_limit, version, token, application_id...)."""
    guild = world.guilds.get(chan.guild_id) if chan.guild_id is not None else None
    data: JSON = {
        "id": str(interaction_id),
        "application_id": str(world.application_id),
        "type": 2,
        "token": token,
        "version": 1,
        "data": command_data,
        "channel_id": str(chan.id),
        "channel": channel(chan, world.users, permissions=app_permissions if guild is not None else None),
        "app_permissions": str(app_permissions),
        "locale": locale,
        "entitlements": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if guild is not None:
        data["guild_id"] = str(guild.id)
        data["guild"] = {"id": str(guild.id), "locale": "en-US", "features": []}
        data["guild_locale"] = "en-US"
        data["member"] = member(guild, world.users, user_id, permissions=permissions)
        data["authorizing_integration_owners"] = {"0": str(guild.id)}
        data["context"] = 0
    else:
        data["user"] = user(world.users[user_id])
        data["authorizing_integration_owners"] = {"0": "0"}
        data["context"] = 1
    return data


def application_info(world: World, owner: FakeUser, flags: int) -> JSON:
    return {
        "id": str(world.application_id),
        "name": world.bot.name,
        "icon": None,
        "description": "",
        "summary": "",
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "owner": user(owner),
        "flags": flags,
        "team": None,
        "interactions_endpoint_url": None,
        "bot": bot_user(world.bot),
    }


def _snowflake_time(snowflake: int) -> float:
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000
