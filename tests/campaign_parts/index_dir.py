"""Part: `INDEX_DIR` pointed at folders that hold a user's files.

The CLI is asked two ordinary questions with `--index` set to: a folder of user files (`tmp-drafts/`,
`v-1.0/guide.md`, a file called `CURRENT`), the corpus folder itself, a folder holding the corpus (as
`.` would), and a folder inside the corpus. Required: not one byte of any user file changes, nothing
is added, and each run ends with a message naming INDEX_DIR / --index (no traceback). A new folder,
by contrast, becomes an index and answers.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from .context import CampaignContext, settings_for
from .corpora import SMALL_FACT, small_corpus
from .results import PartResult

USER_FILES = {"tmp-drafts/plan.md": "My draft plan.", "v-1.0/guide.md": "My guide, version one.",
              "CURRENT": "my current notes", "notes.txt": "Plain notes."}


def snapshot(root: Path) -> dict[str, str]:
    """Every file's hash and every folder (as "dir") under `root`: what must not change."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))} if root.exists() else {}


def run(ctx: CampaignContext) -> PartResult:
    result = PartResult("index folder")
    started = time.monotonic()
    work = ctx.folder("index-dir")
    corpus, _ = small_corpus(work / "top" / "docs")
    user = work / "user"
    for name, text in USER_FILES.items():
        (user / name).parent.mkdir(parents=True, exist_ok=True)
        (user / name).write_text(text, encoding="utf-8")
    cases = {"a folder of user files": user, "the corpus itself": corpus,
             "a folder holding the corpus": work / "top", "a folder inside the corpus": corpus / "index"}
    changed = refused = 0
    for label, index in cases.items():
        watched = work if index != user else user
        before = snapshot(watched)
        for _ in range(2):
            run_ = ctx.run_child(["-m", "bot.cli", "--json", "--corpus", str(corpus), "--index", str(index),
                                  SMALL_FACT.question], source=f"index-dir-{label}",
                                 env=ctx.child_env(settings_for(corpus, index)))
            clear = run_.returncode != 0 and b"Traceback" not in run_.stderr and b"INDEX_DIR" in run_.stderr
            refused += clear
            result.check(clear, f"{label}: expected a refusal naming INDEX_DIR, got exit {run_.returncode}, "
                                f"{run_.stderr[-400:]!r}")
        after = snapshot(watched)
        if after != before:
            changed += 1
            result.fail(f"{label}: files changed: {sorted(set(before.items()) ^ set(after.items()))[:5]}")
    result.figure("user files changed (folders where any byte changed)", f"{changed}/{len(cases)}")
    result.figure("runs refused with a message naming INDEX_DIR", f"{refused}/{2 * len(cases)}")
    fresh = work / "fresh-index"
    run_ = ctx.run_child(["-m", "bot.cli", "--json", "--corpus", str(corpus), "--index", str(fresh), SMALL_FACT.question],
                         source="index-dir-fresh", env=ctx.child_env(settings_for(corpus, fresh)))
    ok = run_.returncode == 0 and SMALL_FACT.expected in json.loads(run_.stdout)["quotes"][0]["text"]
    result.figure("a new folder becomes the index and answers", "yes" if ok else "NO")
    result.check(ok, f"a new index folder did not answer: {run_.stderr[-400:]!r}")
    result.seconds = time.monotonic() - started
    return result
