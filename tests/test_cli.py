"""The CLI as users and tools run it: a subprocess, the real model, the real corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import CORPUS
from index.config import PROJECT_ROOT


def run_cli(*args: str, settings, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, CORPUS_DIR=str(settings.corpus_dir), INDEX_DIR=str(settings.index_dir))
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=PROJECT_ROOT, env=env, input=stdin,
        capture_output=True, text=True, timeout=300,
    )


def test_readable_answer_quotes_abrams(default_index):
    result = run_cli("what did Abrams warn?", settings=default_index)
    assert result.returncode == 0, result.stderr
    assert "calls to abolish the U.N." in result.stdout
    assert "end-of-war-declaration-blog.txt" in result.stdout
    assert "**Abrams warned" in result.stdout  # the answering sentence is emphasised


def test_json_one_shot_is_verbatim(default_index):
    result = run_cli("--json", "--k", "2", "what did Abrams warn?", settings=default_index)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["question"] == "what did Abrams warn?" and data["answered"] is True
    assert 1 <= len(data["quotes"]) <= 2
    for quote in data["quotes"]:
        text = (CORPUS / quote["doc"]).read_text(encoding="utf-8")
        assert text[quote["start"]:quote["end"]] == quote["text"]


def test_json_batch_round_trips_one_line_per_question(default_index):
    questions = ["what did Abrams warn?", "", "what is the best recipe for chocolate chip cookies?", "who is Tokola"]
    result = run_cli("--json", "-", settings=default_index, stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(questions)
    records = [json.loads(line) for line in lines]
    assert [r["question"] for r in records] == questions
    assert records[0]["answered"] and not records[1]["answered"] and not records[2]["answered"]
    assert records[3]["answered"]


def test_off_topic_question_says_the_documents_do_not_say(default_index):
    result = run_cli("what is the best recipe for chocolate chip cookies?", settings=default_index)
    assert result.returncode == 0
    assert "The documents don't say." in result.stdout


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_exits_2(default_index, question):
    result = run_cli(question, settings=default_index)
    assert result.returncode == 2
    assert "empty" in result.stderr


def test_missing_index_is_built_with_a_notice(tmp_path):
    from conftest import settings_for

    settings = settings_for(CORPUS, tmp_path / "fresh-index")
    result = run_cli("--json", "who is Tokola", settings=settings)
    assert result.returncode == 0, result.stderr
    assert "Rebuilding the index" in result.stderr
    assert json.loads(result.stdout)["answered"]


def test_unusable_corpus_setting_is_named(tmp_path):
    from conftest import settings_for

    result = run_cli("who?", settings=settings_for(tmp_path / "no-such-folder", tmp_path / "index"))
    assert result.returncode == 1
    assert "no-such-folder" in result.stderr and "CORPUS_DIR" in result.stderr
