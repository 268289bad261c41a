"""Installed outside the repository: a wheel built from it, in a fresh virtual environment, answers
`quotebot ask --corpus DIR "..."` from any folder.

The models come from the wheel as package data, the index goes to the per-user data folder
(platformdirs: `$XDG_DATA_HOME/quotebot`) unless `INDEX_DIR` says otherwise, and nothing is written to
the current folder. No network: the wheel is installed with `--no-index --no-deps`, and its dependencies
are the ones this project's environment already has, put on the new environment's path by a `.pth`
file (only their folder: the editable install of this checkout is not activated there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from index.config import PROJECT_ROOT

QUESTION = "what did Abrams warn?"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (outside the checkout) with the quotebot wheel installed; returns its bin folder."""
    root = tmp_path_factory.mktemp("install")
    wheels = root / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(wheels), str(PROJECT_ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = wheels.glob("quotebot-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "zz-project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return venv / "bin"


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user with no project settings: no CORPUS_DIR, INDEX_DIR or PYTHONPATH."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "CORPUS_DIR", "INDEX_DIR", "CACHE_DIR", "VIRTUAL_ENV", "XDG_DATA_HOME")}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), **extra)
    return env


def test_the_wheel_answers_from_any_folder(installed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = clean_env(tmp_path / "home")
    where = subprocess.run([str(installed / "python"), "-c", "import index, bot; print(index.__file__); print(bot.__file__)"],
                           cwd=elsewhere, env=env, check=True, capture_output=True, text=True).stdout.split()
    assert all(Path(p).is_relative_to(installed.parent) for p in where), f"imported from the checkout: {where}"

    corpus = PROJECT_ROOT / "corpus"
    run = subprocess.run([str(installed / "quotebot"), "ask", "--json", "--corpus", str(corpus), QUESTION],
                         cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    answer = json.loads(run.stdout)
    assert answer["answered"] and "Abrams" in " ".join(q["text"] for q in answer["quotes"])
    for quote in answer["quotes"]:
        assert (corpus / quote["doc"]).read_text(encoding="utf-8")[quote["start"]:quote["end"]] == quote["text"]
    assert list(elsewhere.iterdir()) == [], "nothing is written to the current folder"
    data = tmp_path / "home" / "data" / "quotebot"
    assert (data / "var" / "index" / "CURRENT").is_file(), "the index goes to the per-user data folder"


def test_index_dir_overrides_the_data_folder(installed: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "my-index"
    env = clean_env(tmp_path / "home", INDEX_DIR=str(index_dir))
    run = subprocess.run([str(installed / "quotebot"), "ask", "--corpus", str(PROJECT_ROOT / "corpus"), QUESTION],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert (index_dir / "CURRENT").is_file()
    assert not (tmp_path / "home" / "data" / "quotebot" / "var" / "index").exists()


def test_rebuild_runs_installed_and_eval_says_it_needs_the_checkout(installed: Path, tmp_path: Path) -> None:
    env = clean_env(tmp_path / "home", INDEX_DIR=str(tmp_path / "built"))
    run = subprocess.run([str(installed / "quotebot"), "rebuild", "--quiet", "--corpus", str(PROJECT_ROOT / "corpus")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0 and "documents 2 (2 added)" in run.stdout, run.stdout + run.stderr[-2000:]
    assert (tmp_path / "built" / "CURRENT").is_file()
    run = subprocess.run([str(installed / "quotebot"), "eval"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode != 0 and "project checkout" in run.stderr
