"""Which documents each Discord server asks: a server (or one of its channels) -> a corpus and its index.

`DISCORD_SERVERS` names a JSON file:

    {"unlisted": "default",            # or "refuse": servers not listed get "not set up here"
     "admin_server": 123456789012345,  # optional: its Manage Server members may /reindex the default corpus
     "servers": {
        "111111111111111111": {"corpus": "docs/team-a", "index": "var/team-a",
                               "channels": {"222222222222222222": {"corpus": "docs/legal", "index": "var/legal"}}},
        "333333333333333333": {"corpus": "docs/team-b", "index": "var/team-b"}}}

Relative paths are taken from the project root. Each corpus has its own index, opened once and shared
by every server and channel that names it. Without the setting, every server asks the default corpus
(`CORPUS_DIR`), as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from index import PROJECT_ROOT, SettingError

UNLISTED = ("default", "refuse")


@dataclass(frozen=True)
class Place:
    """A corpus folder and the index folder built from it."""

    corpus: Path
    index: Path


@dataclass(frozen=True)
class ServerMap:
    servers: dict[int, Place] = field(default_factory=dict)
    channels: dict[int, Place] = field(default_factory=dict)
    """Channel -> place, overriding its server's."""
    unlisted: str = "default"
    admin_server: int | None = None
    configured: bool = False
    """False without `DISCORD_SERVERS`: one corpus for every server, any server's admins may /reindex it."""

    def place_for(self, guild_id: int | None, channel_id: int | None) -> Place | None | str:
        """The place a question asked there goes to; "default" for the default corpus, None when the
        server is not set up (`unlisted: refuse`)."""
        if channel_id is not None and channel_id in self.channels:
            return self.channels[channel_id]
        if guild_id is not None and guild_id in self.servers:
            return self.servers[guild_id]
        return "default" if self.unlisted == "default" else None


def read_server_map(path: Path | None) -> ServerMap:
    """The map in `path` (None: no map); a file that cannot be used is a `SettingError` naming it."""
    if path is None:
        return ServerMap()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        unlisted = raw.get("unlisted", "default")
        if unlisted not in UNLISTED:
            raise ValueError(f"unlisted must be one of {', '.join(UNLISTED)}, not {unlisted!r}")
        servers, channels = {}, {}
        for guild, entry in raw.get("servers", {}).items():
            servers[int(guild)] = _place(entry)
            for channel, channel_entry in entry.get("channels", {}).items():
                channels[int(channel)] = _place(channel_entry)
        admin = raw.get("admin_server")
        return ServerMap(servers, channels, unlisted, int(admin) if admin is not None else None, True)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise SettingError(
            f"DISCORD_SERVERS={path}: not a server map ({exc}); see docs/discord.md (several servers) for the format."
        ) from None


def _place(entry: dict) -> Place:
    corpus, index = (Path(entry[key]).expanduser() for key in ("corpus", "index"))
    return Place(corpus if corpus.is_absolute() else PROJECT_ROOT / corpus, index if index.is_absolute() else PROJECT_ROOT / index)
