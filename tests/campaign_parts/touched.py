"""Part: one-shot questions when the documents were touched (time only) or changed, while another
rebuild holds the lock, with `--no-rebuild`, and for a user who may not write to the index folder.

Required: on a corpus whose files were only touched (`touch`, a git checkout, rsync: same bytes), every
one-shot `python -m bot.cli --json` question is answered, in each of those three situations. When the
documents really changed, a question asked while another rebuild holds the lock, or by a user who
cannot write the index folder, is answered from the published index with a note saying so.

The read-only user is real: the index folder is made read-only (mode 555/444) and the child runs
without the capabilities that let root ignore file modes; where that cannot be done, those cases are
noted and not judged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from index.config import PROJECT_ROOT

from .context import CampaignContext, settings_for
from .corpora import SMALL_FACT, small_corpus
from .corpus_faults import _permissions_enforced, drop_permission_override
from .results import PartResult

HOLD_LOCK = (
    "import sys, time; sys.path.insert(0, '.'); from pathlib import Path; from index.storage.store import IndexFolder\n"
    "with IndexFolder(Path(sys.argv[1])).lock():\n    print('locked', flush=True); time.sleep(600)\n"
)


def run(ctx: CampaignContext) -> PartResult:
    result = PartResult("touched documents")
    started = time.monotonic()
    folder = ctx.folder("touched")
    corpus, fact = small_corpus(folder / "docs")
    settings = settings_for(corpus, folder / "index")
    env = ctx.child_env(settings)
    built = ctx.run_child(["scripts/rebuild_index.py"], source="touched-rebuild", env=env)
    if not result.check(built.returncode == 0, f"the rebuild failed: {built.stderr[-600:]!r}"):
        return result
    read_only_real = _permissions_enforced(ctx, _unreadable_probe(folder))

    def ask(label: str, *extra: str, preexec=None) -> dict | None:
        run_ = ctx.run_child(["-m", "bot.cli", "--json", *extra, fact.question], source=f"touched-{label}",
                             env=env, preexec_fn=preexec, timeout=600)
        try:
            answer = json.loads(run_.stdout) if run_.returncode == 0 else None
        except ValueError:
            answer = None
        good = bool(answer and answer["answered"] and fact.expected in answer["quotes"][0]["text"])
        result.check(good, f"{label}: exit {run_.returncode}, {run_.stdout[-300:]!r} {run_.stderr[-500:]!r}")
        return answer if good else None

    touched_cases = ["lock held", "--no-rebuild"] + (["read-only user"] if read_only_real else [])
    failed = 0
    _touch(corpus)
    with _lock_held(settings.index_dir):
        failed += ask("touched, lock held") is None
    _touch(corpus)
    failed += ask("touched, --no-rebuild", "--no-rebuild") is None
    if read_only_real:
        _touch(corpus)
        with _read_only(settings.index_dir):
            failed += ask("touched, read-only user", preexec=drop_permission_override) is None
    else:
        result.notes.append("could not make the index folder read-only to the child: the read-only cases were not judged")
    result.figure("questions failed on touched-but-unchanged corpora", f"{failed}/{len(touched_cases)} ({', '.join(touched_cases)})")

    (corpus / "harbour.md").write_text((corpus / "harbour.md").read_text(encoding="utf-8") + "\nA late note on the tides.\n",
                                       encoding="utf-8")
    noted = 0
    changed_cases = ["lock held"] + (["read-only user"] if read_only_real else [])
    with _lock_held(settings.index_dir):
        answer = ask("changed, lock held")
        noted += bool(answer and any("Another rebuild" in n for n in answer.get("notes", [])))
    if read_only_real:
        with _read_only(settings.index_dir):
            answer = ask("changed, read-only user", preexec=drop_permission_override)
            noted += bool(answer and any("No write access" in n for n in answer.get("notes", [])))
    result.figure("changed corpus, rebuild impossible: answered from the published index with a note",
                  f"{noted}/{len(changed_cases)} ({', '.join(changed_cases)})")
    result.check(noted == len(changed_cases), "an answer from the published index carried no note saying why")
    result.seconds = time.monotonic() - started
    return result


def _touch(corpus: Path) -> None:
    later = time.time_ns() + 5_000_000_000
    for path in corpus.rglob("*.md"):
        os.utime(path, ns=(later, later))


def _unreadable_probe(folder: Path) -> Path:
    probe = folder / "probe.txt"
    probe.write_text("x", encoding="utf-8")
    probe.chmod(0)
    return probe


class _lock_held:
    """Another process holding the rebuild lock for the duration of the block."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir

    def __enter__(self) -> None:
        self.child = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(self.index_dir)], cwd=PROJECT_ROOT,
                                      stdout=subprocess.PIPE)
        assert self.child.stdout.readline().strip() == b"locked"

    def __exit__(self, *exc: object) -> None:
        self.child.kill()
        self.child.wait()


class _read_only:
    """The index folder and everything in it read-only for the block (modes restored after)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __enter__(self) -> None:
        self.modes = {p: p.stat().st_mode for p in [self.root, *self.root.rglob("*")]}
        for path in sorted(self.modes, key=lambda p: -len(p.parts)):
            path.chmod(0o555 if path.is_dir() else 0o444)

    def __exit__(self, *exc: object) -> None:
        for path, mode in self.modes.items():
            path.chmod(mode & 0o7777)
