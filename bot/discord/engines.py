"""The engines a bot serves: the default corpus's and one per corpus the server map names, each
opened once and shared by every server and channel that names it."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from bot.discord.servers import Place, ServerMap
from index import Engine


class Engines:
    def __init__(self, default: Engine, server_map: ServerMap | None = None,
                 notify: Callable[[str], None] | None = None) -> None:
        self.default = default
        self.map = server_map or ServerMap()
        places = dict.fromkeys([*self.map.servers.values(), *self.map.channels.values()])
        self._by_place: dict[Place, Engine] = {place: self._open(place, notify) for place in places}

    def _open(self, place: Place, notify: Callable[[str], None] | None) -> Engine:
        """One corpus's engine, sharing the default engine's model (loaded once)."""
        if notify is not None:
            notify(f"loading the engine (corpus {place.corpus}, index {place.index})")
        settings = replace(self.default.settings, corpus_dir=place.corpus, index_dir=place.index)
        return Engine.open(settings, encoder=self.default.encoder, notify=notify)

    def for_place(self, guild_id: int | None, channel_id: int | None) -> Engine | None:
        """The engine that answers there, or None where the bot is not set up (`unlisted: refuse`)."""
        place = self.map.place_for(guild_id, channel_id)
        if place == "default":
            return self.default
        return self._by_place[place] if isinstance(place, Place) else None

    def is_default(self, engine: Engine) -> bool:
        return engine is self.default

    def __iter__(self):  # noqa: ANN204 - every engine once, the default first
        return iter([self.default, *self._by_place.values()])
