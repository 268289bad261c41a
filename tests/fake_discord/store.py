"""What the fake has seen and holds: the request log, messages, interactions and
synced application commands. Confined to the server's loop; tests get copies."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .world import World

JSON = dict[str, Any]


@dataclass(frozen=True)
class RecordedFile:
    field: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class RecordedRequest:
    """One REST request as the fake answered it. ``time`` is ``time.monotonic()`` on
    arrival; ``route`` is the fake's route name ("create_message", ...), None for 404s;
    ``json`` is the JSON body (or a multipart body's payload_json)."""

    method: str
    path: str
    route: str | None
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    files: tuple[RecordedFile, ...]
    time: float
    status: int
    response: Any


@dataclass
class InteractionRecord:
    """An injected interaction and everything the bot did with it."""

    id: int
    token: str
    payload: JSON
    created_at: float = field(default_factory=time.monotonic)
    callbacks: list[JSON] = field(default_factory=list)  # accepted callback bodies
    original: JSON | None = None  # the original response message, as last edited
    followups: list[JSON] = field(default_factory=list)


class Store:
    """State shared by the REST handlers, the gateway and the test-side API."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.requests: list[RecordedRequest] = []
        self.messages: dict[int, JSON] = {}  # id -> message, in creation order
        self.interactions: dict[int, InteractionRecord] = {}
        self.commands: dict[int | None, list[JSON]] = {}  # guild id (None: global) -> synced
        self._command_ids: dict[tuple[int | None, str, int], int] = {}
        self.rate_limited_posts = 0
        self.rate_limit_retry_after = 0.0

    def channel_messages(self, channel_id: int, author_id: int | None = None) -> list[JSON]:
        return [
            m
            for m in self.messages.values()
            if int(m["channel_id"]) == channel_id and (author_id is None or int(m["author"]["id"]) == author_id)
        ]

    def interaction_by_token(self, token: str) -> InteractionRecord | None:
        return next((r for r in self.interactions.values() if r.token == token), None)

    def sync_commands(self, guild_id: int | None, commands: list[JSON]) -> list[JSON]:
        """Overwrite the command set; a command keeps its id while its name and type
        stay the same, as on Discord."""
        synced = []
        for command in commands:
            kind = command.get("type", 1)
            key = (guild_id, command["name"], kind)
            command_id = self._command_ids.setdefault(key, self.world.ids.next())
            permissions = command.get("default_member_permissions")
            entry = {
                "nsfw": False,
                "description": "",
                **command,
                "default_member_permissions": None if permissions is None else str(permissions),
                "id": str(command_id),
                "application_id": str(self.world.application_id),
                "type": kind,
                "version": str(self.world.ids.next()),
            }
            if guild_id is not None:
                entry["guild_id"] = str(guild_id)
            synced.append(entry)
        self.commands[guild_id] = synced
        return synced

    def find_command(self, name: str, guild_id: int | None) -> JSON | None:
        """A chat-input command as a user in ``guild_id`` sees it: guild commands first."""
        scopes = ([guild_id] if guild_id is not None else []) + [None]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name and command["type"] == 1:
                    return command
        return None
