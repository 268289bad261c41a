"""Part: documents made to stall the rebuild, a FIFO put in after listing, and settings out of range.

1. Every text step of the build (`index.documents.analysis.TEXT_STEPS`) is timed on the documents of
   `hostile_documents.py` (runs of punctuation, hyphen chains, one giant line, no spaces, deep
   nesting, a line per word) against ordinary prose of the same size: the worst ratio must stay within
   the plan's limit (5x on 1 MB documents in the full campaign; the quick plan only catches a
   quadratic step, with 50x on smaller ones).
2. `scripts/rebuild_index.py` indexes a corpus holding all of them, with `MAX_DOCUMENT_MB` at its
   highest, while one document is replaced by a FIFO after the folder was listed (when the rebuild
   opens its first file): the rebuild must finish and name the FIFO as not a regular file; the CLI,
   which then finds the file gone and rebuilds, must answer from the good documents.
3. The CLI is started with each numeric setting out of range: each must end with exit status 1 and a
   message naming the setting, never a traceback.
"""

from __future__ import annotations

import json
import os
import time

from .context import CampaignContext, settings_for
from .corpora import SMALL_FACT, small_corpus
from .corpus_faults import reported_skips
from .hostile_documents import time_ratios, write_documents
from .open_trigger import OnFirstOpen
from .results import PartResult

OUT_OF_RANGE = {
    "TOP_K": "0",
    "MAX_QUESTION_CHARS": "5000000",
    "MAX_DOCUMENT_MB": "100000",
    "ANN_THRESHOLD": "-3",
    "FOLLOW_LINKS": "maybe",
    "DISCORD_WORKERS": "100000",
}
"""Setting -> a value out of its range. DISCORD_WORKERS is checked by `python -m bot`, the rest by the CLI."""
TRIGGER = "0-first.txt"
PIPE = "zz-pipe.txt"


def run(ctx: CampaignContext) -> PartResult:
    result = PartResult("documents that stall")
    started = time.monotonic()
    _ratios(ctx, result)
    _rebuild(ctx, result)
    _settings(ctx, result)
    result.seconds = time.monotonic() - started
    return result


def _ratios(ctx: CampaignContext, result: PartResult) -> None:
    size = ctx.plan.hostile_document_kb * 1024
    ctx.say(f"documents: timing the text steps on {size // 1024} KB documents")
    rows = time_ratios(size, repeats=2, say=ctx.say)
    name, _, ratio, step, _ = max(rows[1:], key=lambda row: row[2])
    limit = ctx.plan.document_ratio_limit
    result.figure(f"worst adversarial-document time ratio (text steps, {size // 1024} KB, vs prose)",
                  f"{ratio:.1f}x ({name}; slowest step {step})")
    for name, seconds, ratio, step, _ in rows:
        result.check(ratio <= limit, f"{name}: {seconds:.2f} s, {ratio:.1f}x prose (limit {limit:g}x), slowest step {step}")


def _rebuild(ctx: CampaignContext, result: PartResult) -> None:
    folder = ctx.folder("documents")
    corpus, fact = small_corpus(folder / "docs")
    written = write_documents(corpus / "hostile", ctx.plan.hostile_build_kb * 1024)
    (corpus / TRIGGER).write_text("The first file read.\n", encoding="utf-8")
    (corpus / PIPE).write_text("Becomes a pipe once the folder is listed.\n", encoding="utf-8")
    settings = settings_for(corpus, folder / "index")
    env = ctx.child_env(settings, MAX_DOCUMENT_MB="4096")

    def swap_for_fifo() -> None:
        (corpus / PIPE).unlink()
        os.mkfifo(corpus / PIPE)

    ctx.say(f"documents: rebuilding {len(written)} hostile documents of {ctx.plan.hostile_build_kb} KB; a FIFO replaces a file after listing")
    started = time.monotonic()
    try:
        with OnFirstOpen(corpus / TRIGGER, swap_for_fifo) as trigger:
            run = ctx.run_child(["scripts/rebuild_index.py", "--corpus", str(corpus), "--index", str(settings.index_dir)],
                                source="documents-rebuild", env=env, timeout=ctx.plan.hostile_build_timeout)
    except Exception as exc:  # subprocess.TimeoutExpired: the rebuild stalled
        result.figure("rebuild of the hostile documents (FIFO swapped in after listing)", f"STALLED ({exc.__class__.__name__})")
        result.fail(f"the rebuild did not finish within {ctx.plan.hostile_build_timeout} s: {exc}")
        return
    seconds = time.monotonic() - started
    finished = run.returncode == 0 and b"Traceback" not in run.stderr
    result.figure("rebuild of the hostile documents (FIFO swapped in after listing)",
                  f"finished in {seconds:.0f} s" if finished else f"FAILED (exit {run.returncode})")
    if not result.check(finished, f"the rebuild failed: exit {run.returncode}, {run.stderr[-800:]!r}"):
        return
    result.check(trigger.fired.is_set(), f"the rebuild never opened {TRIGGER}, so the FIFO was never swapped in")
    reason = reported_skips(run.stdout).get(PIPE, "")
    result.check("not a regular file" in reason, f"{PIPE} (a FIFO since listing) reported as {reason!r}")
    # The CLI sees the FIFO (the file it was listed as is gone), rebuilds and must not block on it either.
    asked = ctx.run_child(["-m", "bot.cli", "--json", fact.question], source="documents-cli", env=env, timeout=600)
    answer = json.loads(asked.stdout or b"{}") if asked.returncode == 0 else {}
    good = bool(answer.get("answered")) and fact.expected in answer["quotes"][0]["text"]
    result.check(good, f"after the rebuild the CLI did not answer {fact.question!r}: {asked.stdout[-400:]!r} {asked.stderr[-400:]!r}")


def _settings(ctx: CampaignContext, result: PartResult) -> None:
    folder = ctx.folder("documents")
    settings = settings_for(folder / "docs", folder / "index")
    clear = 0
    for name, value in OUT_OF_RANGE.items():
        args = ["-m", "bot"] if name.startswith("DISCORD_") else ["-m", "bot.cli", "--no-rebuild", SMALL_FACT.question]
        extra = {"DISCORD_TOKEN": "not-a-real-token"} if name.startswith("DISCORD_") else {}
        env = ctx.child_env(settings, **{name: value}, **extra)
        run = ctx.run_child(args, source=f"documents-setting-{name}", env=env, timeout=120)
        message = run.stderr.decode("utf-8", "replace")
        ok = run.returncode == 1 and name in message and "Traceback" not in message
        clear += ok
        result.check(ok, f"{name}={value}: exit {run.returncode}, message {message[-300:]!r}")
    result.figure("out-of-range settings refused with a message naming them", f"{clear}/{len(OUT_OF_RANGE)}")

