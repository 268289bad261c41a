"""Part 3, continued: the disk refuses writes in the middle of a rebuild.

* A file-size limit (`RLIMIT_FSIZE` in the child, SIGXFSZ ignored, so writes fail with EFBIG) at a few
  sizes taken from the index's own files, so the failure hits different files.
* A really full disk: the index on a small tmpfs (needs root and CAP_SYS_ADMIN; reported as not run
  otherwise) with room for the served index and only part of a new one, so the rebuild fails with
  ENOSPC, first while reserving vector space, then while writing the vector files.

Each time: the rebuild exits with status 1 and a message that names the index folder and says the
previous index still serves, no traceback; the served version is unchanged, loads and answers as
before; no temporary folder is left; and once there is room again the next rebuild succeeds.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Callable

from index.engine import Engine
from index.errors import IndexProblem
from index.storage.builder import rebuild
from index.storage.loaded import open_index
from index.storage.store import IndexFolder

from .context import CampaignContext, settings_for
from .corpora import Fact
from .results import PartResult

FREE_SHARES = (0.3, 0.8)
ROOMY = 32 * 1024 * 1024


def run_into(ctx: CampaignContext, result: PartResult, settings, fact: Fact, baseline) -> None:
    ctx.say("kills: write errors (file-size limit)")
    version = IndexFolder(settings.index_dir).current()
    sizes = sorted(p.stat().st_size for p in version.rglob("*") if p.is_file())  # type: ignore[union-attr]
    limits = [sizes[-1] - 1, 1024, sizes[-1] // 3][: ctx.plan.write_fault_limits]  # late, early, middle
    kept = 0
    for limit in limits:
        kept += _fault(ctx, result, settings, fact, baseline, f"file-size limit {limit} B", preexec=_size_limit(limit))
    faults = len(limits)
    disk = _small_disk(ctx, result) if ctx.plan.full_disk else None
    if disk is not None:
        ctx.say("kills: a full disk (small tmpfs)")
        mount, remount = disk
        try:
            kept_disk, tried = _full_disk(ctx, result, settings, fact, mount, remount)
            kept, faults = kept + kept_disk, faults + tried
        finally:
            subprocess.run(["umount", str(mount)], check=False)
    result.figure("write errors mid-rebuild: old index kept, clear message, next rebuild ok", f"{kept}/{faults}")


def _size_limit(limit: int) -> Callable[[], None]:
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def _fault(ctx: CampaignContext, result: PartResult, settings, fact: Fact, baseline, what: str,
           preexec: Callable[[], None] | None = None, make_room: Callable[[], None] | None = None) -> bool:
    """One failing rebuild in a child: judge its message and what it left behind."""
    before = IndexFolder(settings.index_dir).current()
    run = ctx.run_child(["scripts/rebuild_index.py", "--full", "--quiet", "--corpus", str(settings.corpus_dir),
                         "--index", str(settings.index_dir)], source=f"write-fault {what}",
                        env=ctx.child_env(settings), preexec_fn=preexec)
    err = run.stderr.decode("utf-8", "replace")
    problems = []
    if run.returncode != 1:
        problems.append(f"exit status {run.returncode}, expected 1 ({'killed by a signal' if run.returncode < 0 else 'not a failure'})")
    if "Traceback" in err:
        problems.append("a traceback instead of a message")
    message = err[err.find("rebuild failed"):] if "rebuild failed" in err else ""
    if str(settings.index_dir) not in message or "still serving" not in message:
        problems.append("the message does not name the index folder and say the previous index still serves")
    if IndexFolder(settings.index_dir).current() != before:
        problems.append("CURRENT moved")
    leftovers = sorted(p.name for p in settings.index_dir.glob("tmp-*"))
    if leftovers:
        problems.append(f"temporary folders left: {leftovers}")
    try:
        open_index(settings)
        answer = Engine.open(settings, auto_rebuild=False, encoder=ctx.encoder).answer(fact.question)
        got = (answer.quotes[0].doc, answer.quotes[0].start, answer.quotes[0].end) if answer.answered else None
        if got != baseline:
            problems.append(f"the served index answers {got}, before {baseline}")
    except IndexProblem as exc:
        problems.append(f"the served index no longer loads: {exc}")
    if not problems:
        if make_room is not None:
            make_room()
        try:
            rebuild(settings, full=True, encoder=ctx.encoder)
        except Exception as exc:  # once writes work again the rebuild must succeed
            problems.append(f"the next rebuild failed: {exc}")
    ctx.say(f"kills: {what}: {'ok' if not problems else problems} ({' '.join(message.split())[:200]})")
    for problem in problems:
        result.fail(f"{what}: {problem}; stderr: {err[-500:]!r}")
    return not problems


def _small_disk(ctx: CampaignContext, result: PartResult) -> tuple[Path, Callable[[int], None]] | None:
    """A tmpfs we can resize, or None (with a note) where mounting is not allowed."""
    mount = ctx.folder("kills/small-disk")
    attempt = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True, text=True) \
        if os.geteuid() == 0 else None
    if attempt is None or attempt.returncode != 0:
        result.notes.append("full disk not run: mounting a small tmpfs needs root with CAP_SYS_ADMIN "
                            f"({attempt.stderr.strip() if attempt else 'not root'})")
        return None

    def remount(size: int) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(mount)], check=True, capture_output=True)

    return mount, remount


def _full_disk(ctx: CampaignContext, result: PartResult, settings, fact: Fact, mount: Path,
               remount: Callable[[int], None]) -> tuple[int, int]:
    on_disk = settings_for(settings.corpus_dir, mount / "index")
    kept = tried = 0
    for share in FREE_SHARES:  # room for this share of a second index: fails early, then late
        remount(ROOMY)
        shutil.rmtree(on_disk.index_dir, ignore_errors=True)
        rebuild(on_disk, full=True, encoder=ctx.encoder)
        stats = os.statvfs(mount)
        used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
        answer = Engine.open(on_disk, auto_rebuild=False, encoder=ctx.encoder).answer(fact.question)
        baseline = (answer.quotes[0].doc, answer.quotes[0].start, answer.quotes[0].end)
        size = _pages(used * (1 + share))
        remount(size)
        ok = _fault(ctx, result, on_disk, fact, baseline, f"full disk ({size // 1024} KiB tmpfs, {share:.0%} of an index free)",
                    make_room=lambda: remount(ROOMY))
        kept, tried = kept + ok, tried + 1
    return kept, tried


def _pages(size: float) -> int:
    return int(size // 4096 + 1) * 4096
