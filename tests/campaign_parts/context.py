"""What every campaign part shares: how much to run, the seed, a work folder, the model, the capture."""

from __future__ import annotations

import os
import random
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Sequence

from index.config import PROJECT_ROOT, Settings

from .capture import OutputCapture


@dataclass(frozen=True)
class Plan:
    """How much of each part to run: the full campaign (the script) or the quick subset (default tests)."""

    name: str
    generated_questions: int
    """Hypothesis-generated hostile questions, on top of the hand-written catalogue."""
    catalogue_per_category: int | None
    """How many written questions of each kind (None: all of them)."""
    cli_text_batch: bool
    slash_questions: int
    cli_one_shots: int
    real_corpus: bool
    """Ask the real corpus (plus a hostile document); the quick plan uses a small corpus."""
    kills: int
    write_fault_limits: int
    full_disk: bool
    """Also fill a small tmpfs (root only; the quick plan leaves it to tests/test_hostile_regressions.py)."""
    tiny_files: int
    huge_file_mb: int
    huge_file_sparse: bool
    nested_depth: int
    load_questions: int
    load_users: int
    load_rounds: int
    cli_tamper_checks: int
    tamper_sample: int | None
    """How many tamper cases (None: all of them)."""
    hostile_document_kb: int
    """Size of each adversarial document whose text steps are timed against prose."""
    document_ratio_limit: float
    """Worst allowed time ratio to prose (the quick plan's small documents only catch a quadratic step)."""
    hostile_build_kb: int
    """Size of each adversarial document in the corpus that is really rebuilt (embedding included)."""
    hostile_build_timeout: int


FULL = Plan(
    "full", generated_questions=130, catalogue_per_category=None, cli_text_batch=True, slash_questions=40,
    cli_one_shots=6, real_corpus=True, kills=20, write_fault_limits=3, full_disk=True, tiny_files=3000,
    huge_file_mb=200, huge_file_sparse=False, nested_depth=1500, load_questions=100, load_users=20, load_rounds=2,
    cli_tamper_checks=3, tamper_sample=None, hostile_document_kb=1024, document_ratio_limit=5.0,
    hostile_build_kb=32, hostile_build_timeout=1800,
)
QUICK = Plan(
    "quick", generated_questions=10, catalogue_per_category=2, cli_text_batch=False, slash_questions=4,
    cli_one_shots=0, real_corpus=False, kills=1, write_fault_limits=1, full_disk=False, tiny_files=30,
    huge_file_mb=200, huge_file_sparse=True, nested_depth=1100, load_questions=30, load_users=10, load_rounds=1,
    cli_tamper_checks=0, tamper_sample=6, hostile_document_kb=128, document_ratio_limit=50.0,
    hostile_build_kb=2, hostile_build_timeout=600,
)


class CampaignContext:
    def __init__(self, plan: Plan, seed: int, work: Path, capture: OutputCapture | None = None,
                 encoder: Any = None, verbose: bool = True) -> None:
        self.plan = plan
        self.seed = seed
        self.work = work
        self.capture = capture or OutputCapture()
        self.token = "campaign." + secrets.token_urlsafe(40)
        """The bot token of every Discord run; it must never appear in anything captured."""
        self.verbose = verbose
        self._encoder = encoder
        work.mkdir(parents=True, exist_ok=True)

    @cached_property
    def encoder(self) -> Any:
        """The bundled model, loaded once for every in-process part."""
        if self._encoder is None:
            from index.dense.embedding import load_encoder

            self._encoder = load_encoder(Settings())
        return self._encoder

    def rng(self, part: str) -> random.Random:
        """A random source per part, so running one part alone draws the same numbers."""
        return random.Random(f"{self.seed}:{part}")

    def folder(self, name: str) -> Path:
        path = self.work / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def say(self, message: str) -> None:
        """Progress on standard error (long parts show what they are doing)."""
        if self.verbose:
            print(f"[campaign {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    def child_env(self, settings: Settings | None = None, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "PYTHONPATH")}
        env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
        if settings is not None:
            env.update(CORPUS_DIR=str(settings.corpus_dir), INDEX_DIR=str(settings.index_dir))
        env.update(extra)
        return env

    def run_child(
        self,
        args: Sequence[str | bytes],
        *,
        source: str,
        env: dict[str, str] | None = None,
        stdin: bytes | None = None,
        timeout: float = 900,
        preexec_fn: Callable[[], None] | None = None,
    ) -> subprocess.CompletedProcess:
        """Run a Python child from the project root; its output (bytes) is captured for the token grep."""
        result = subprocess.run(
            [sys.executable, *args], cwd=PROJECT_ROOT, env=env or self.child_env(), input=stdin,
            capture_output=True, timeout=timeout, preexec_fn=preexec_fn,
        )
        self.capture.add(f"child:{source}:stdout", result.stdout)
        self.capture.add(f"child:{source}:stderr", result.stderr)
        return result


def settings_for(corpus: Path, index: Path, **changes: Any) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=index, **changes)
