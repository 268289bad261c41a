"""Shared fixtures: the real model, loaded once per test session, and the default corpus indexed once."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from index.config import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"
DEV_QUESTIONS = PROJECT_ROOT / "tests" / "data" / "dev_questions.jsonl"


@pytest.fixture(scope="session")
def encoder():
    """The default model, the shipped chat-minilm (loaded once per session)."""
    from index.dense.embedding import load_encoder

    return load_encoder(Settings())


@pytest.fixture(scope="session")
def default_index(tmp_path_factory, encoder) -> Settings:
    """Settings whose index (in a temporary folder) holds the default corpus, built once."""
    from index.storage.builder import rebuild

    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("default-index"))
    rebuild(settings, encoder=encoder)
    return settings


@pytest.fixture(scope="session")
def engine(default_index, encoder):
    """An engine over the default corpus, shared by every test that only asks questions."""
    from index.engine import Engine

    return Engine.open(default_index, auto_rebuild=False, encoder=encoder)


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """A writable copy of the default corpus for tests that change documents."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


def settings_for(corpus: Path, index: Path) -> Settings:
    return dataclasses.replace(Settings(), corpus_dir=corpus, index_dir=index)
