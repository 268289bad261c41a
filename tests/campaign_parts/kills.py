"""Part 3: `kill -9` of a rebuild at chosen moments, then write errors and a full disk (write_faults).

Each kill waits for a hook, a line the rebuild prints on standard error as it enters a phase
("reading", "embedding", "vector index", "lexical index", then the checksum, manifest and swap steps
announced by rebuild_child.py), plus a random extra delay drawn within that phase's length as
measured on an unkilled run; two kills instead fire at a random moment of the whole rebuild. Half the
rebuilds are full re-embeddings of an unchanged corpus, half incremental with a new document. The
corpus has three documents and many small Latin-1 files, which are read and skipped, so that reading
takes long enough to be killed in.

After each kill: the index CURRENT names must open with every checksum verified, the engine must give
the same best quote as before for a known question (a new document, if the kill came after the swap,
must be answered too), and the next rebuild must succeed and leave no temporary folder behind.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from index.engine import Engine
from index.errors import IndexProblem
from index.storage.builder import rebuild
from index.storage.loaded import open_index
from index.storage.store import IndexFolder

from . import write_faults
from .context import CampaignContext, settings_for
from .corpora import Fact, small_corpus
from .results import PartResult

CHILD = Path(__file__).with_name("rebuild_child.py")
STAGES = ("reading", "embedding", "vector index", "lexical index", "writing: checksums")
SWAP_STEPS = ("swap: syncing the new folder", "swap: folder renamed", "swap: replacing CURRENT", "swap: pruning old versions")
SWAP_PAUSE = 0.3
HOOK_ORDER = ("swap: replacing CURRENT", "embedding", "timed", "lexical index", "vector index", "reading",
              "swap: folder renamed", "writing: checksums", "swap: syncing the new folder", "swap: pruning old versions",
              "embedding", "timed", "vector index", "lexical index", "embedding", "swap: replacing CURRENT",
              "reading", "embedding", "lexical index", "vector index")
"""Which hook each kill waits for: the first `plan.kills` of these, in a seeded order."""


def run(ctx: CampaignContext) -> PartResult:
    result = PartResult("killed rebuilds")
    started = time.monotonic()
    folder = ctx.folder("kills")
    corpus, fact = small_corpus(folder / "docs")
    _add_unreadable_noise(corpus / "noise", ctx.plan.kills * 100)
    settings = settings_for(corpus, folder / "index")
    rebuild(settings, encoder=ctx.encoder)
    baseline = _best_quote(ctx, settings, fact)
    hooks = list(HOOK_ORDER[: ctx.plan.kills])
    ctx.rng("kill-order").shuffle(hooks)
    timing = _Timing(True, 0.0, {})
    if any(not hook.startswith("swap:") for hook in hooks):
        ctx.say("kills: an unkilled rebuild, to time its phases")
        timing = _timed_rebuild(ctx, settings)
        if not result.check(timing.finished, f"the unkilled rebuild failed: {timing.stderr[-600:]}"):
            return result
    trials = []
    for number, hook in enumerate(hooks):
        trial = _kill_trial(ctx, settings, fact, baseline, timing, number, hook)
        trials.append(trial)
        for problem in trial.problems:
            result.fail(f"kill {number + 1} ({trial.landed}): {problem}")
        ctx.say(f"kills: {number + 1}/{len(hooks)} at {trial.landed}: {'survived' if trial.survived else 'FAILED'}")
    killed = [t for t in trials if t.killed]
    landed: dict[str, int] = {}
    for trial in killed:
        landed[trial.phase] = landed.get(trial.phase, 0) + 1
    result.figure("kills survived (index loads, verified, and answers as before)", f"{sum(t.survived for t in killed)}/{len(hooks)}")
    result.figure("next rebuild succeeded after the kill", f"{sum(t.next_rebuild_ok for t in killed)}/{len(hooks)}")
    result.figure("kills by phase", ", ".join(f"{phase} {n}" for phase, n in landed.items()))
    result.figure("served after the kill", f"previous version {sum(t.served == 'previous' for t in killed)}, "
                                           f"new version {sum(t.served == 'new' for t in killed)} (kill after CURRENT moved)")
    result.check(len(killed) == len(hooks), f"{len(hooks) - len(killed)} rebuild(s) finished before the kill landed")
    write_faults.run_into(ctx, result, settings, fact, baseline)
    result.seconds = time.monotonic() - started
    return result


def _add_unreadable_noise(folder: Path, count: int) -> None:
    """Files that are read and skipped (not UTF-8): they make the reading phase long enough to be
    killed in, without adding anything to embed."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / f"latin1-{number:04d}.txt").write_bytes(f"Caf\xe9 number {number} ".encode("latin-1") * 200)


@dataclass
class _Timing:
    finished: bool
    seconds: float
    marks: dict[str, float]
    """Seconds from the start to each hook line of an unkilled rebuild."""
    stderr: str = ""

    def phase_length(self, hook: str) -> float:
        """How long the phase entered at `hook` lasted (until the next announced line)."""
        start = self.marks.get(hook, 0.0)
        later = sorted(t for t in self.marks.values() if t > start)
        return (later[0] if later else self.seconds) - start


def _child(ctx: CampaignContext, settings, full: bool, pause: float) -> subprocess.Popen:
    args = [sys.executable, str(CHILD), "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    env = ctx.child_env(settings, CAMPAIGN_SWAP_PAUSE=str(pause))
    return subprocess.Popen(args + (["--full"] if full else []), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


class _Lines:
    """Standard error of a child, read by a thread: every line with when it arrived."""

    def __init__(self, process: subprocess.Popen, started: float) -> None:
        self.lines: list[tuple[float, str]] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(process, started), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen, started: float) -> None:
        for raw in process.stderr:  # type: ignore[union-attr]
            with self.changed:
                self.lines.append((time.monotonic() - started, raw.decode("utf-8", "replace").rstrip("\n")))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, prefix: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not any(line.startswith(prefix) for _, line in self.lines):
                if not self.thread.is_alive() or time.monotonic() > deadline:
                    return False
                self.changed.wait(0.05)
            return True

    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)


def _timed_rebuild(ctx: CampaignContext, settings) -> _Timing:
    started = time.monotonic()
    process = _child(ctx, settings, full=True, pause=0)
    lines = _Lines(process, started)
    out = process.stdout.read()  # type: ignore[union-attr]
    process.wait()
    lines.thread.join()
    ctx.capture.add("child:kill-timing:stdout", out)
    ctx.capture.add("child:kill-timing:stderr", lines.text())
    marks: dict[str, float] = {}
    for at, line in lines.lines:
        for hook in STAGES + SWAP_STEPS:
            if line.startswith(hook):
                marks.setdefault(hook, at)
    return _Timing(process.returncode == 0, time.monotonic() - started, marks, lines.text())


def _best_quote(ctx: CampaignContext, settings, fact: Fact) -> tuple[str, int, int] | None:
    answer = Engine.open(settings, auto_rebuild=False, encoder=ctx.encoder).answer(fact.question)
    if not answer.answered:
        return None
    best = answer.quotes[0]
    return best.doc, best.start, best.end


@dataclass
class _Trial:
    hook: str
    killed: bool = False
    phase: str = ""
    served: str = ""
    survived: bool = False
    next_rebuild_ok: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def landed(self) -> str:
        return self.phase or self.hook


def _kill_trial(ctx: CampaignContext, settings, fact: Fact, baseline, timing: _Timing, number: int, hook: str) -> _Trial:
    rng = ctx.rng(f"kill-{number}")
    trial = _Trial(hook)
    incremental = number % 2 == 1
    added = settings.corpus_dir / f"added-{number:02d}.md"
    added_fact = Fact(f"How many sheep did the ferryman of crossing {number} carry?", f"carried {number * 3 + 4} sheep", added.name)
    if incremental:
        added.write_text(f"The ferryman of crossing {number} carried {number * 3 + 4} sheep over the river.\n", encoding="utf-8")
    before = IndexFolder(settings.index_dir).current()
    full = not incremental
    for attempt in range(3):  # a rebuild that ends before the kill is retried, fully, with a shorter delay
        swap = hook.startswith("swap:")
        started = time.monotonic()
        process = _child(ctx, settings, full=full, pause=SWAP_PAUSE if swap else 0)
        lines = _Lines(process, started)
        if hook == "timed":
            delay = rng.uniform(0.2, timing.seconds) / (2 ** attempt)
            reached = True
        else:
            reached = lines.wait_for(hook, timeout=600)
            delay = rng.uniform(0, SWAP_PAUSE if swap else timing.phase_length(hook)) / (2 ** attempt)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        lines.thread.join()
        ctx.capture.add("child:kill:stderr", lines.text())
        if process.returncode == -signal.SIGKILL and reached:
            trial.killed = True
            trial.phase = _phase_at(lines, hook)
            break
        if process.returncode == -signal.SIGKILL:
            trial.problems.append(f"the rebuild never printed {hook!r}: {lines.text()[-400:]}")
            return trial
        before, full, incremental = IndexFolder(settings.index_dir).current(), True, False
    if not trial.killed:
        trial.problems.append("the rebuild finished before every kill attempt")
        return trial
    _check_after_kill(ctx, settings, fact, baseline, trial, before, added if incremental else None, added_fact)
    return trial


PHASE_NAMES = {
    "reading": "reading documents",
    "writing: acronyms.json": "loading the model",
    "embedding": "embedding",
    "vector index": "writing vectors",
    "lexical index": "writing the lexical index",
    "writing: checksums": "hashing files",
    "writing: manifest.json": "manifest written",
    **{step: step.replace("swap: ", "swap, ") for step in SWAP_STEPS},
}
"""What the rebuild was doing after each announced line (the model loads after the first files are written)."""


def _phase_at(lines: _Lines, hook: str) -> str:
    """What the child was doing when it died: the phase of the last line it announced."""
    last = hook
    for _, line in lines.lines:
        last = next((known for known in PHASE_NAMES if line.startswith(known)), last)
    return PHASE_NAMES.get(last, last)


def _check_after_kill(ctx, settings, fact: Fact, baseline, trial: _Trial, before: Path | None, added: Path | None, added_fact: Fact) -> None:
    folder = IndexFolder(settings.index_dir)
    try:
        current = folder.current()
        open_index(settings)  # every file's checksum verified
    except IndexProblem as exc:
        trial.problems.append(f"the index does not load after the kill: {exc}")
        return
    trial.served = "previous" if current == before else "new"
    parked = None
    if added is not None and trial.served == "previous":
        parked = added.with_name(added.name + ".parked")  # the old index predates it: set it aside
        added.rename(parked)
    try:
        engine = Engine.open(settings, auto_rebuild=False, encoder=ctx.encoder)
        best = engine.answer(fact.question)
        got = (best.quotes[0].doc, best.quotes[0].start, best.quotes[0].end) if best.answered else None
        ok = got == baseline
        if not ok:
            trial.problems.append(f"after the kill the best quote is {got}, before it was {baseline}")
        if added is not None and trial.served == "new":
            ok = _answers(engine, added_fact, trial) and ok
        trial.survived = ok
    except IndexProblem as exc:
        trial.problems.append(f"the engine refused the index after the kill: {exc}")
    finally:
        if parked is not None:
            parked.rename(added)
    try:
        rebuild(settings, full=added is None, encoder=ctx.encoder)
        leftovers = sorted(p.name for p in settings.index_dir.glob("tmp-*"))
        engine = Engine.open(settings, auto_rebuild=False, encoder=ctx.encoder)
        trial.next_rebuild_ok = not leftovers and (added is None or _answers(engine, added_fact, trial))
        if leftovers:
            trial.problems.append(f"temporary folders left after the next rebuild: {leftovers}")
    except Exception as exc:  # any failure here is what this part looks for
        trial.problems.append(f"the next rebuild failed: {type(exc).__name__}: {exc}")


def _answers(engine: Engine, fact: Fact, trial: _Trial) -> bool:
    answer = engine.answer(fact.question)
    if answer.answered and fact.expected in answer.quotes[0].text:
        return True
    trial.problems.append(f"{fact.question!r} not answered from {fact.doc}: {[q.text for q in answer.quotes][:1]}")
    return False
