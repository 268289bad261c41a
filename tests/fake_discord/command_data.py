"""Builds the ``data`` of an application-command interaction from a synced command.

Discord's client types each option from the registered schema and resolves
user/role/channel options into ``data.resolved``; doing the same here means an
injected invocation only works for commands the bot really synced, with options it
really declared.
"""

from __future__ import annotations

from typing import Any, Mapping

from . import payloads
from .world import World

JSON = dict[str, Any]

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
USER, CHANNEL, ROLE, MENTIONABLE = 6, 7, 8, 9


def build(world: World, command: JSON, path: list[str], options: Mapping[str, Any], guild_id: int | None) -> JSON:
    """``path`` holds subcommand group / subcommand names below the top-level command."""
    data: JSON = {"id": command["id"], "name": command["name"], "type": command["type"]}
    if "guild_id" in command:
        data["guild_id"] = command["guild_id"]
    resolved: JSON = {}
    schema = command.get("options") or []
    container = data
    for name in path:
        sub = _schema_option(schema, name, command["name"])
        if sub["type"] not in (SUB_COMMAND, SUB_COMMAND_GROUP):
            raise ValueError(f"{name!r} is not a subcommand of {command['name']!r}")
        entry: JSON = {"name": name, "type": sub["type"], "options": []}
        container["options"] = [entry]
        container, schema = entry, sub.get("options") or []
    container["options"] = _values(world, schema, options, guild_id, resolved, command["name"])
    if resolved:
        data["resolved"] = resolved
    return data


def _schema_option(schema: list[JSON], name: str, command_name: str) -> JSON:
    for option in schema:
        if option["name"] == name:
            return option
    declared = [o["name"] for o in schema]
    raise KeyError(f"command {command_name!r} declares no option {name!r} (declared: {declared})")


def _values(world: World, schema: list[JSON], options: Mapping[str, Any], guild_id: int | None, resolved: JSON, command_name: str) -> list[JSON]:
    missing = [o["name"] for o in schema if o.get("required") and o["name"] not in options]
    if missing:
        raise ValueError(f"command {command_name!r} requires options {missing}")
    encoded = []
    for name, value in options.items():
        kind = _schema_option(schema, name, command_name)["type"]
        if kind in (USER, CHANNEL, ROLE, MENTIONABLE):
            value = _resolve(world, kind, int(getattr(value, "id", value)), guild_id, resolved)
        encoded.append({"name": name, "type": kind, "value": value})
    return encoded


def _resolve(world: World, kind: int, snowflake: int, guild_id: int | None, resolved: JSON) -> str:
    """Adds the object behind an id option to ``resolved``; returns the id as a string."""
    guild = world.guilds.get(guild_id) if guild_id is not None else None
    key = str(snowflake)
    if kind in (USER, MENTIONABLE) and snowflake in world.users:
        resolved.setdefault("users", {})[key] = payloads.user(world.users[snowflake])
        if guild is not None and snowflake in guild.members:
            member = payloads.member(guild, world.users, snowflake, with_user=False, permissions=guild.permissions_of(snowflake))
            resolved.setdefault("members", {})[key] = member
    elif kind in (ROLE, MENTIONABLE) and guild is not None and snowflake in guild.roles:
        resolved.setdefault("roles", {})[key] = payloads.role(guild.roles[snowflake])
    elif kind == CHANNEL and (channel := world.find_channel(snowflake)) is not None:
        permissions = guild.permissions_of(world.bot.id) if guild is not None else None
        resolved.setdefault("channels", {})[key] = payloads.channel(channel, world.users, permissions=permissions)
    else:
        raise KeyError(f"no object with id {snowflake} for option type {kind}")
    return key
