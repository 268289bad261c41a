"""Time the build's text steps on documents made to stall them, against ordinary prose of the same size.

    python scripts/bench_adversarial.py [--size-mb 1] [--repeats 3]

Every step that reads a document's text (sentence splitting, unit rows, BM25 terms, spelling counts,
cues, name phrases: `index.documents.analysis.TEXT_STEPS`) runs on each case of
`tests/campaign_parts/hostile_documents.py`. The table gives the seconds, the ratio to prose, the
slowest step and the number of sentences; the target is a ratio of at most 5 for every case. Embedding
is not timed here: its cost follows the number of sentences, which the table shows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 5.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=1.0, help="size of every document in MB (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs per case (default 3)")
    args = parser.parse_args(argv)
    if args.size_mb <= 0 or args.repeats < 1:
        parser.error("--size-mb must be above 0 and --repeats at least 1")

    from campaign_parts.hostile_documents import time_ratios

    size = int(args.size_mb * 1024 * 1024)
    rows = time_ratios(size, args.repeats, say=lambda m: print(m, file=sys.stderr, flush=True))
    print(f"$ python scripts/bench_adversarial.py --size-mb {args.size_mb:g} --repeats {args.repeats}")
    print(f"documents of {size:,} characters; best of {args.repeats}\n")
    print("| document | seconds | x prose | slowest step | sentences |")
    print("|---|---|---|---|---|")
    for name, seconds, ratio, slowest, sentences in rows:
        print(f"| {name} | {seconds:.3f} | {ratio:.2f} | {slowest} | {sentences:,} |")
    worst = max(rows[1:], key=lambda row: row[2])
    verdict = "within" if worst[2] <= TARGET_RATIO else "ABOVE"
    print(f"\nworst: {worst[0]}, {worst[2]:.2f}x prose ({verdict} the {TARGET_RATIO:g}x target)")
    return 0 if worst[2] <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
