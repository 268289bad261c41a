"""Every failure a user can meet, under one base class: `EngineError`.

A front-end catches `EngineError` (or one of these) from `index` and shows its message, which names the
file, setting or command involved; it never needs to know which layer raised it. Each class keeps the
built-in base it always had (`ValueError`, `RuntimeError`, `OSError`), so older handlers still match.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine reports to a user; the message says what to do."""


# Settings
class SettingError(EngineError, ValueError):
    """A setting has a value the engine cannot use; the message names the setting and what to do."""


class RuleError(EngineError, ValueError):
    """A rule name that does not exist (in `RULES_OFF` or a caller's list)."""


class IndexFolderRefused(SettingError):
    """`INDEX_DIR` points at a folder the engine must not write to; the message says what to set."""


class QdrantUnavailable(SettingError):
    """VECTOR_STORE=qdrant without the qdrant-client package."""


class QdrantUnreachable(SettingError):
    """The Qdrant server at QDRANT_URL did not answer."""


# Models
class ModelError(EngineError, RuntimeError):
    """The embedding model cannot be found or loaded; the message names the setting to change."""


class ShippedModelError(EngineError, RuntimeError):
    """A shipped model file is missing or does not match its checksum."""


class RankerError(EngineError, RuntimeError):
    """The ranker file is missing, unreadable or was trained on other features."""


class PolicyError(EngineError, RuntimeError):
    """The policy file is missing or unreadable; the message says how to recreate it."""


# Documents
class CorpusError(EngineError, RuntimeError):
    """The corpus folder itself is unusable (missing, not a folder, or without any usable document)."""


class CorpusEmpty(EngineError, RuntimeError):
    """No usable document in the corpus folder: nothing to index."""


# The index
class IndexProblem(EngineError, RuntimeError):
    """The index cannot be served as it is; the message says why and how to rebuild it."""


class IndexMissing(IndexProblem):
    """No index has been built in the folder yet."""


class IndexStale(IndexProblem):
    """Built from an older state of the corpus: documents were added, changed or removed since."""


class IndexIncompatible(IndexProblem):
    """Built by another model, dimension, format or sentence splitter."""


class IndexCorrupt(IndexProblem):
    """Files truncated, altered or unreadable."""


class RebuildBusy(EngineError, RuntimeError):
    """Another rebuild holds the lock on the same index folder."""


class IndexReadOnly(EngineError, RuntimeError):
    """This user may read the index folder but not write to it, so it cannot be rebuilt here."""


class IndexWriteError(EngineError, OSError):
    """The new index could not be written (disk full, file too large, I/O error); the previous
    index is untouched and still serving."""
