"""The engine: documents in, verbatim quotes out. This package is its public API.

Load, split, embed, store and search a folder of documents; `Engine.answer` returns an `Answer` made
of `Quote`s that are exact slices of the documents. Front-ends (`bot/`) and scripts import from here:
the engine, its settings, its answer types and every error a user can meet (all `EngineError`).

The layers below, each importing only those under it (tests/test_layout.py checks):
foundation (`config`, `rules`, `answer`, `errors`, `redact`) < `lexical` < `documents` < `dense` <
`storage` < `answering` < the engine (`engine`, this module); `evaluation` sits above, as a user of it.
Nothing here imports discord or any front-end. Heavy modules (numpy, onnxruntime, faiss) are imported
only when an engine is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from index.answer import NOT_ANSWERED, Answer, Quote
from index.config import PROJECT_ROOT, Settings, env_flag, load_dotenv_file, settings_from_env
from index.errors import (
    CorpusEmpty,
    CorpusError,
    EngineError,
    IndexCorrupt,
    IndexFolderRefused,
    IndexIncompatible,
    IndexMissing,
    IndexProblem,
    IndexReadOnly,
    IndexStale,
    IndexWriteError,
    ModelError,
    PolicyError,
    QdrantUnavailable,
    QdrantUnreachable,
    RankerError,
    RebuildBusy,
    RuleError,
    SettingError,
    ShippedModelError,
)
from index.redact import RedactingFilter, public_url, redact

if TYPE_CHECKING:
    from index.engine import Engine, SourceInfo, with_paths
    from index.storage.builder import Progress, RebuildSummary, rebuild

__all__ = [
    "NOT_ANSWERED",
    "PROJECT_ROOT",
    "Answer",
    "CorpusEmpty",
    "CorpusError",
    "Engine",
    "EngineError",
    "IndexCorrupt",
    "IndexFolderRefused",
    "IndexIncompatible",
    "IndexMissing",
    "IndexProblem",
    "IndexReadOnly",
    "IndexStale",
    "IndexWriteError",
    "ModelError",
    "PolicyError",
    "Progress",
    "QdrantUnavailable",
    "QdrantUnreachable",
    "Quote",
    "RankerError",
    "RebuildBusy",
    "RebuildSummary",
    "RedactingFilter",
    "RuleError",
    "SettingError",
    "Settings",
    "ShippedModelError",
    "SourceInfo",
    "env_flag",
    "load_dotenv_file",
    "public_url",
    "rebuild",
    "redact",
    "settings_from_env",
    "with_paths",
]

_ENGINE_NAMES = ("Engine", "SourceInfo", "with_paths")
_BUILD_NAMES = ("RebuildSummary", "Progress", "rebuild")


def __getattr__(name: str) -> Any:
    """The engine and the build, imported on first use so that `import index` stays light."""
    if name in _ENGINE_NAMES:
        from index import engine

        return getattr(engine, name)
    if name in _BUILD_NAMES:
        from index.storage import builder

        return getattr(builder, name)
    raise AttributeError(f"module 'index' has no attribute {name!r}")
