"""Discord settings, read from the environment and `.env` like the engine's (see `.env.example`)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from index import PROJECT_ROOT, SettingError, env_flag, load_dotenv_file

MAX_SHARDS = 1_000


@dataclass(frozen=True)
class DiscordSettings:
    token: str
    guild_ids: tuple[int, ...] = ()
    """Servers to sync slash commands to at start-up (instant); empty: global sync (up to an hour)."""
    listen_channels: tuple[int, ...] = ()
    """Channels where every message is a question (needs the message-content intent)."""
    reply_in_thread: bool = False
    message_content: bool = False
    """The privileged Message Content intent: follow-ups in the bot's threads need no mention."""
    sync_always: bool = False
    """Sync slash commands at every start, not only when their definitions changed."""
    log_level: str = "INFO"
    servers_file: Path | None = None
    """DISCORD_SERVERS: the JSON map of servers (and channels) to corpora (`bot/discord/servers.py`)."""
    cooldown_questions: int = 5
    cooldown_seconds: float = 30.0
    workers: int = 2
    queue_size: int = 32
    sharded: bool = False
    """DISCORD_SHARDS other than off: one gateway connection per shard (AutoShardedBot)."""
    shard_count: int | None = None
    """DISCORD_SHARDS as a number; None with `sharded` takes the count Discord recommends."""

    def __post_init__(self) -> None:
        if self.shard_count is not None and (not self.sharded or self.shard_count < 1):
            raise SettingError(f"DISCORD_SHARDS must be at least 1, not {self.shard_count} (check .env).")

    def __repr__(self) -> str:  # never show the token, even in a debugger or a log line
        return f"DiscordSettings(guild_ids={self.guild_ids}, listen_channels={self.listen_channels}, ...)"


def _ids(name: str) -> tuple[int, ...]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ()
    parts = [p for p in re.split(r"[,\s]+", raw) if p]
    if not all(p.isdigit() for p in parts):
        raise SettingError(f"{name} must be a comma-separated list of numeric Discord IDs, not {raw!r} (check .env).")
    return tuple(int(p) for p in parts)


def _positive(name: str, default: int, high: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= high:
        raise SettingError(f"{name} must be a whole number between 1 and {high:,}, not {raw!r} (check .env).")
    return int(raw)


def _file(name: str) -> Path | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    path = path if path.is_absolute() else PROJECT_ROOT / path
    if not path.is_file():
        raise SettingError(f"{name}={raw}: no such file (check .env; see docs/discord.md for the format).")
    return path


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _log_level(name: str) -> str:
    raw = os.environ.get(name, "").strip().upper() or "INFO"
    if raw not in LOG_LEVELS:
        raise SettingError(f"{name} must be one of {', '.join(LOG_LEVELS)}, not {raw!r} (check .env).")
    return raw


def _shards(name: str) -> tuple[bool, int | None]:
    """off (one connection), auto (as many shards as Discord recommends) or a number of shards."""
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "off"):
        return False, None
    if raw == "auto":
        return True, None
    if raw.isdigit() and 1 <= int(raw) <= MAX_SHARDS:
        return True, int(raw)
    raise SettingError(
        f"{name} must be off (one gateway connection), auto (as many shards as Discord recommends) "
        f"or a number of shards between 1 and {MAX_SHARDS:,}, not {raw!r} (check .env)."
    )


def discord_settings_from_env() -> DiscordSettings:
    load_dotenv_file()
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        raise SettingError(
            "DISCORD_TOKEN is not set: copy .env.example to .env and put your bot's token there "
            "(Discord developer portal > your application > Bot > Reset Token)."
        )
    cooldown = os.environ.get("DISCORD_COOLDOWN", "").strip() or "5/30"
    match = re.fullmatch(r"(\d+)\s*/\s*(\d+(?:\.\d+)?)", cooldown)
    if not match or not 1 <= int(match.group(1)) <= 10_000 or not 0 < float(match.group(2)) <= 86_400:
        raise SettingError(
            f"DISCORD_COOLDOWN must look like 5/30 (questions per seconds: 1-10,000 questions per at most "
            f"86,400 seconds), not {cooldown!r} (check .env)."
        )
    sharded, shard_count = _shards("DISCORD_SHARDS")
    return DiscordSettings(
        token=token,
        guild_ids=_ids("DISCORD_GUILD_IDS"),
        listen_channels=_ids("DISCORD_LISTEN_CHANNELS"),
        reply_in_thread=env_flag("DISCORD_REPLY_IN_THREAD", False),
        message_content=env_flag("DISCORD_MESSAGE_CONTENT", False),
        sync_always=env_flag("DISCORD_SYNC_ALWAYS", False),
        log_level=_log_level("LOG_LEVEL"),
        servers_file=_file("DISCORD_SERVERS"),
        cooldown_questions=int(match.group(1)),
        cooldown_seconds=float(match.group(2)),
        workers=_positive("DISCORD_WORKERS", 2, 64),
        queue_size=_positive("DISCORD_QUEUE_SIZE", 32, 10_000),
        sharded=sharded,
        shard_count=shard_count,
    )
