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


def test_the_prompt_ignores_empty_lines_and_quits_on_colon_q(default_index):
    result = run_cli(settings=default_index, stdin="\n\nwhat did Abrams warn?\n\n:q\nwho is Tokola?\n")
    assert result.returncode == 0, result.stderr
    assert "calls to abolish the U.N." in result.stdout and "Tokola" not in result.stdout
    assert "Ctrl-D or :q to quit" in result.stderr


def test_readable_batch_echoes_each_question_above_its_answer(default_index):
    result = run_cli("-", settings=default_index, stdin="what did Abrams warn?\nwho is Tokola?\n")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.index("? what did Abrams warn?"), result.stdout.index("? who is Tokola?")
    assert first < result.stdout.index("calls to abolish the U.N.") < second


def test_ctrl_c_during_start_up_exits_130_without_a_traceback(default_index):
    import signal
    import time

    env = dict(os.environ, CORPUS_DIR=str(default_index.corpus_dir), INDEX_DIR=str(default_index.index_dir))
    child = subprocess.Popen([sys.executable, "-m", "bot.cli", "what did Abrams warn?"], cwd=PROJECT_ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.4)  # importing and loading: well before the answer
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=120)
    if child.returncode == 0:
        pytest.skip("the answer came before the interrupt on this machine")
    assert child.returncode == 130 and "Traceback" not in err, err


def test_a_long_question_is_cut_at_a_word_and_the_cut_word_is_no_unknown_name():
    from index.engine import cut_at_word

    question = "what did Abrams warn " * 60
    cut = cut_at_word(question.strip(), 1000)
    assert len(cut) <= 1000 and cut.endswith(("what", "did", "Abrams", "warn"))
    assert cut_at_word("x" * 2000, 1000) == "x" * 1000
    assert cut_at_word("short question", 1000) == "short question"


def test_rebuild_summary_counts_documents_and_sentences_truly(tmp_path):
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    env = dict(os.environ, CORPUS_DIR=str(corpus), INDEX_DIR=str(tmp_path / "index"))

    def rebuild(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "scripts/rebuild_index.py", *args], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=600)

    first = rebuild("--quiet")
    assert first.returncode == 0 and first.stderr == "", first.stderr
    assert "documents 2 (2 added); sentences" in first.stdout
    full = rebuild("--full")
    assert "documents 2 (2 unchanged); sentences" in full.stdout and "--full: every document embedded again" in full.stdout
    assert "added (" not in full.stdout
    assert "reading: 2 documents" in full.stderr or "documents" in full.stderr


def test_the_prompt_reads_a_follow_up_in_the_context_of_the_question_before(default_index):
    result = run_cli(settings=default_index, stdin="what did Abrams warn?\nwhy?\n")
    assert result.returncode == 0, result.stderr
    assert "(Reading this as: why did Abrams warn)" in result.stdout
    batch = run_cli("--json", "-", settings=default_index, stdin="what did Abrams warn?\nwhy?\n")
    assert "reading" not in json.loads(batch.stdout.splitlines()[1]), "--json - stays stateless"


def test_the_quotebot_command_dispatches_to_the_same_programs(default_index):
    env = dict(os.environ, CORPUS_DIR=str(default_index.corpus_dir), INDEX_DIR=str(default_index.index_dir))

    def quotebot(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot.terminal.console", *args], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    assert all(name in quotebot("--help").stdout for name in ("ask", "rebuild", "bot", "eval"))
    asked = quotebot("ask", "--json", "what did Abrams warn?")
    assert asked.returncode == 0 and "Abrams warned" in json.loads(asked.stdout)["quotes"][0]["text"]
    rebuilt = quotebot("rebuild", "--quiet")
    assert rebuilt.returncode == 0 and "Index is up to date" in rebuilt.stdout
    unknown = quotebot("frobnicate")
    assert unknown.returncode == 2 and "unknown command" in unknown.stderr
