"""The deployment files: the container image's recipe, the compose file and the health check they use.

No container runtime is needed here: the image's recipe is checked for what a deployment relies on,
compose.yaml is read with a YAML library the way Compose reads it, and `quotebot health` (the image's
HEALTHCHECK) runs for real against a built, a missing and a damaged index. Building the image and asking
a question through it is tests/test_container.py (slow, needs podman or docker).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from index.config import PROJECT_ROOT

DOCKERFILE = PROJECT_ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_the_image_installs_pinned_requirements_and_the_package_with_its_models() -> None:
    steps = instructions()
    froms = [args for keyword, args in steps if keyword == "FROM"]
    assert froms == ["${PYTHON_IMAGE}"] and ("ARG", "PYTHON_IMAGE=python:3.11-slim") in steps
    runs = " ".join(args for keyword, args in steps if keyword == "RUN")
    assert "pip install -r /tmp/requirements.txt" in runs and "pip install --no-deps /src" in runs
    names = []
    for line in (PROJECT_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][0-9A-Za-z.]*", line.strip()), f"not pinned: {line}"
            names.append(line.split("==")[0].lower())
    assert "torch" not in names and "sentence-transformers" not in names, "the image runs the ONNX models, no torch"
    copied = [args.split()[0] for keyword, args in steps if keyword == "COPY" and not args.startswith("--")]
    assert "index" in copied and "bot" in copied, "the package (and its models: index/models) goes into the image"
    # The models travel as package data of what `pip install /src` installs.
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'index = ["models/*/*", "models/*/*/*"]' in pyproject
    assert any((PROJECT_ROOT / "index" / "models").glob("*/onnx/*.onnx")), "the shipped models are in index/models"


def test_the_image_runs_as_a_user_with_data_as_volumes_and_a_health_check() -> None:
    steps = instructions()
    users = [args for keyword, args in steps if keyword == "USER"]
    assert users and users[-1] not in ("root", "0"), "the bot does not run as root"
    env = " ".join(args for keyword, args in steps if keyword == "ENV")
    assert "CORPUS_DIR=/data/corpus" in env and "INDEX_DIR=/data/index" in env
    assert ("VOLUME", '["/data/index"]') in steps
    (health,) = [args for keyword, args in steps if keyword == "HEALTHCHECK"]
    assert health.endswith('CMD ["quotebot", "health"]')
    assert steps[-1] == ("CMD", '["quotebot", "bot"]')


def test_the_build_context_holds_what_the_image_copies_and_nothing_private() -> None:
    ignore = (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ignore[ignore.index("*")] == "*", "everything is excluded unless named"
    allowed = {entry[1:].rstrip("/") for entry in ignore if entry.startswith("!")}
    copied = set()
    for keyword, args in instructions():
        if keyword == "COPY":
            sources = [a for a in args.split() if not a.startswith("--")][:-1]
            copied.update(sources)
    assert copied <= allowed, f"copied but excluded from the build context: {copied - allowed}"
    assert not {".env", ".venv", "var"} & allowed


def compose() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_the_bot_with_qdrant_as_an_opt_in_profile() -> None:
    services = compose()["services"]
    bot = services["bot"]
    assert "profiles" not in bot, "`docker compose up` starts the bot"
    assert bot["build"] == "." and bot["environment"]["INDEX_DIR"] == "/data/index"
    assert "quotebot-index:/data/index" in bot["volumes"]
    assert any(v.endswith(":/data/corpus:ro") for v in bot["volumes"]), "the corpus is read-only to the bot"
    assert bot["env_file"] == [{"path": ".env", "required": False}], "DISCORD_TOKEN from .env, as outside a container"

    qdrant, bot_qdrant = services["qdrant"], services["bot-qdrant"]
    assert qdrant["profiles"] == ["qdrant"] and bot_qdrant["profiles"] == ["qdrant"]
    assert re.fullmatch(r"qdrant/qdrant:v\d+\.\d+\.\d+", qdrant["image"]), "a pinned server version"
    assert bot_qdrant["environment"]["VECTOR_STORE"] == "qdrant"
    assert bot_qdrant["environment"]["QDRANT_URL"] == "http://qdrant:6333"
    assert bot_qdrant["depends_on"] == ["qdrant"]
    client = re.search(r"^qdrant-client==(\S+)$", (PROJECT_ROOT / "requirements-dev.txt").read_text(encoding="utf-8"), re.M)
    assert bot_qdrant["build"]["args"]["EXTRA_REQUIREMENTS"] == f"qdrant-client=={client.group(1)}", \
        "the image for Qdrant carries the client version the tests exercise"
    declared = set(compose()["volumes"])
    used = {v.split(":")[0] for s in services.values() for v in s.get("volumes", []) if not v.startswith(".")}
    assert used <= declared


def health(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.terminal.console", "health", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_health_passes_when_the_engine_answers(default_index) -> None:
    run = health("--corpus", str(default_index.corpus_dir), "--index", str(default_index.index_dir))
    assert run.returncode == 0, run.stderr
    assert re.fullmatch(r"healthy: 2 documents, answered in \d+ ms from .+\n", run.stdout)


def test_health_fails_without_an_index_and_says_what_to_run(tmp_path: Path) -> None:
    run = health("--corpus", str(PROJECT_ROOT / "corpus"), "--index", str(tmp_path / "none"))
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.startswith("unhealthy: ") and "quotebot rebuild" in run.stderr
    assert not (tmp_path / "none").exists(), "the probe builds nothing"


def test_health_fails_on_a_damaged_index(default_index, tmp_path: Path) -> None:
    damaged = tmp_path / "index"
    shutil.copytree(default_index.index_dir, damaged)
    version = (damaged / "CURRENT").read_text(encoding="utf-8").strip()
    vectors_files = list((damaged / version).rglob("*.faiss"))
    assert vectors_files
    for vectors in vectors_files:
        vectors.write_bytes(b"not a faiss file")
    run = health("--corpus", str(default_index.corpus_dir), "--index", str(damaged))
    assert run.returncode == 1 and run.stderr.startswith("unhealthy: "), run.stdout + run.stderr


def test_health_passes_on_an_index_older_than_the_documents_and_says_so(default_index, tmp_path: Path) -> None:
    """The bot keeps answering from the published index until a rebuild, so the probe must not mark
    the container unhealthy because someone added a document."""
    corpus = tmp_path / "corpus"
    shutil.copytree(default_index.corpus_dir, corpus)
    index = tmp_path / "index"
    shutil.copytree(default_index.index_dir, index)
    (corpus / "new.txt").write_text("The ferry leaves at noon.\n", encoding="utf-8")
    run = health("--corpus", str(corpus), "--index", str(index))
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("healthy: 2 documents") and "older than the corpus (1 added)" in run.stdout
