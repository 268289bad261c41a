"""The hostile-input and fault campaign: attack the CLI, the Discord bot and the index, print one table.

    python scripts/campaign.py [--only PART[,PART...]] [--seed N] [--quick] [--work DIR] [--keep]

Parts (all by default, in this order): questions, corpus, links, documents, index-dir, stale, touched,
kills, tamper, load, secrets.
  questions  200+ hostile questions through the CLI and the real discord.py client (fake Discord server)
  corpus     hostile corpus files (bad encodings, 200 MB, vanishing, unreadable, symlink loop, depth, many)
  links      symlinks out of the corpus (to ../.env, a folder outside, /etc) and hidden files holding a secret
  documents  1 MB documents made to stall the text steps (timed against prose); a FIFO swapped in after
             listing; settings out of range
  index-dir  INDEX_DIR at a folder of user files, the corpus, a folder holding it, one inside it
  stale      a --json - session answering while the index is rebuilt 3 times elsewhere; /reindex after it
  touched    one-shot questions on touched (same bytes) and changed documents: lock held by another
             rebuild, --no-rebuild, a user who cannot write the index folder
  kills      kill -9 of rebuilds at 20 hooked and random moments; a file-size limit and a full disk
  tamper     tampered index files: truncated, bit-flipped, swapped, another model, pickles, escapes
  load       100 questions from 20 users through Discord while /reindex runs
  secrets    the token never in any output of the run; /reindex refused without Manage Server
`--quick` runs the smaller plan the default test suite uses. Exit status 0 when every requirement
held, 1 otherwise (the broken ones are listed under the table). The same seed repeats the same run.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

PARTS = ("questions", "corpus", "links", "documents", "index-dir", "stale", "touched", "kills", "tamper", "load", "secrets")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Hostile-input and fault campaign; prints a table of figures.")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts to run ({', '.join(PARTS)})")
    parser.add_argument("--seed", type=int, default=20261123, help="seed for generated questions, kill times, tampering")
    parser.add_argument("--quick", action="store_true", help="the small plan of the default test suite")
    parser.add_argument("--work", metavar="DIR", help="work folder (default: a temporary folder, deleted afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    chosen = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(chosen) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")

    from campaign_parts.context import FULL, QUICK, CampaignContext
    from campaign_parts.results import render_table
    from campaign_parts.runner import run_parts

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the work folder and mounts are cleaned up
    work = Path(args.work).resolve() if args.work else Path(tempfile.mkdtemp(prefix="quotebot-campaign-"))
    ctx = CampaignContext(QUICK if args.quick else FULL, args.seed, work)
    started = time.monotonic()
    command = "python scripts/campaign.py " + " ".join(argv if argv is not None else sys.argv[1:])
    try:
        results = run_parts(ctx, [p for p in PARTS if p in chosen])
    finally:
        if not (args.keep or args.work):
            subprocess.run(["rm", "-rf", str(work)], check=False)  # shutil.rmtree recurses once per folder level
    print(f"$ {command.strip()}")
    print(f"plan {ctx.plan.name}, seed {args.seed}, {time.monotonic() - started:.0f} s in all\n")
    print(render_table(results))
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
