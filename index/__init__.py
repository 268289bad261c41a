"""The engine: documents in, verbatim quotes out.

Load, split, embed, store and search a folder of documents; `Engine.answer` returns an `Answer` made
of `Quote`s that are exact slices of the documents. Nothing here imports discord or any front-end.
Heavy modules (torch, faiss) are imported only when an engine is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .answer import NOT_ANSWERED, Answer, Quote
from .config import Settings, SettingError, settings_from_env

if TYPE_CHECKING:
    from .builder import RebuildSummary
    from .engine import Engine, SourceInfo

__all__ = [
    "Answer",
    "Engine",
    "NOT_ANSWERED",
    "Quote",
    "RebuildSummary",
    "SettingError",
    "Settings",
    "SourceInfo",
    "settings_from_env",
]


def __getattr__(name: str) -> Any:
    if name in ("Engine", "SourceInfo"):
        from . import engine

        return getattr(engine, name)
    if name == "RebuildSummary":
        from .builder import RebuildSummary

        return RebuildSummary
    raise AttributeError(name)
