"""The runtime needs no torch: answering, an incremental rebuild and starting the Discord bot work in a
process where torch, transformers, sentence-transformers, onnx and scipy cannot be imported (only the
one-time ONNX export needs them: requirements-export.txt)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from index.config import PROJECT_ROOT

BLOCKED = ("torch", "transformers", "sentence_transformers", "onnx", "scipy", "sklearn")
BLOCKER = f"""
import runpy, sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {BLOCKED!r}:
            raise ImportError('blocked in the lean runtime test: ' + name)
sys.meta_path.insert(0, Blocker())
sys.path.insert(0, '.')
"""


def _run(code: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCKER + code], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.timeout(600)
def test_answering_rebuilding_and_the_bot_need_no_torch(tmp_path, encoder, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CORPUS_DIR": str(corpus), "INDEX_DIR": str(tmp_path / "index"),
           "HF_HUB_OFFLINE": "1"}
    ask = "sys.argv = ['bot.cli', '--json', 'what did Abrams warn?']; runpy.run_module('bot.cli', run_name='__main__')"
    first = _run(ask, env)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "Abrams warned" in json.loads(first.stdout)["quotes"][0]["text"]

    (corpus / "ferry.txt").write_text("The ferry to Incheon left at dawn with forty passengers.\n", encoding="utf-8")
    rebuild = "sys.argv = ['rebuild_index.py']; runpy.run_path('scripts/rebuild_index.py', run_name='__main__')"
    rebuilt = _run(rebuild, env)
    assert rebuilt.returncode == 0 and "added (1): ferry.txt" in rebuilt.stdout, rebuilt.stderr[-2000:]
    second = _run(ask.replace("what did Abrams warn?", "when did the ferry to Incheon leave?"), env)
    assert "dawn" in json.loads(second.stdout)["quotes"][0]["text"], second.stderr[-2000:]

    bot = ("from bot.discord.app import create_bot; from bot.discord.config import DiscordSettings; "
           "from index import settings_from_env; from index.engine import Engine\n"
           "engine = Engine.open(settings_from_env()); engine.warm_up()\n"
           "bot = create_bot(engine, DiscordSettings(token='x')); print(type(bot).__name__, sorted(bot.extensions))")
    started = _run(bot, env)
    assert started.returncode == 0 and started.stdout.startswith("QuoteBot"), started.stderr[-2000:]
    assert not any(f"'{name}'" in started.stderr for name in BLOCKED)
