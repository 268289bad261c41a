"""Rebuild the index after changing the documents: incremental, atomic, with progress and a summary.

    python scripts/rebuild_index.py [--corpus DIR] [--index DIR] [--full]     (in a checkout)
    quotebot rebuild [--corpus DIR] [--index DIR] [--full]                     (anywhere it is installed)

Only new and changed documents are embedded; a run with nothing changed takes about a second. The new
index is written beside the old one and swapped in with a rename, so a crash or kill at any moment
leaves the previous index serving. Exit status 0 on success, 1 on failure (message names the cause).
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild the document index (incremental and atomic).")
    parser.add_argument("--corpus", metavar="DIR", help="folder of documents (default CORPUS_DIR from .env)")
    parser.add_argument("--index", metavar="DIR", help="index folder (default INDEX_DIR from .env)")
    parser.add_argument("--full", action="store_true", help="re-embed every document instead of reusing vectors")
    parser.add_argument("--quiet", action="store_true", help="no progress, only the summary")
    args = parser.parse_args(argv)

    from bot.terminal.progress import TerminalProgress
    from bot.terminal.render import visible
    from index import (
        CorpusEmpty,
        CorpusError,
        IndexProblem,
        IndexReadOnly,
        ModelError,
        RebuildBusy,
        SettingError,
        rebuild,
        redact,
        settings_from_env,
        with_paths,
    )

    settings = None
    try:
        settings = with_paths(settings_from_env(), args.corpus, args.index)
        if not args.quiet:
            print(visible(f"corpus {settings.corpus_dir}\nindex  {settings.index_dir}", keep="\n"), file=sys.stderr, flush=True)
        progress = None if args.quiet else TerminalProgress()
        summary = rebuild(settings, full=args.full, progress=progress)
        if progress is not None:
            progress.close()
    except (SettingError, CorpusEmpty, CorpusError, ModelError, IndexProblem, RebuildBusy, IndexReadOnly, OSError) as exc:
        message = redact(str(exc), settings) if settings is not None else str(exc)
        print(visible(f"rebuild failed: {message}", keep="\n"), file=sys.stderr)
        if "still serving" not in str(exc):
            print("The previous index, if any, is unchanged and still serving.", file=sys.stderr)
        return 1
    print(format_summary(summary))
    return 0


def format_summary(summary) -> str:
    """The summary as terminal lines; file names and reasons with control characters shown escaped, so
    a file name holding a newline or an escape sequence cannot forge or recolour a line."""
    from bot.terminal.render import visible

    lines = []
    if summary.note:
        lines.append(visible(summary.note))
    if summary.up_to_date:
        lines.append("Index is up to date: nothing changed in the corpus.")
    counts = ", ".join(f"{n:,} {what}" for n, what in (
        (len(summary.added), "added"), (len(summary.changed), "changed"), (len(summary.removed), "removed"),
        (summary.unchanged, "unchanged")) if n)
    reused = summary.units - summary.embedded_units
    lines.append(
        f"documents {summary.documents:,} ({counts or 'none'}); sentences {summary.units:,}: "
        f"{summary.embedded_units:,} embedded" + (f", {reused:,} with their vectors reused" if reused else "")
        + (" (--full: every document embedded again)" if summary.full else "") + f"; {summary.seconds:.1f} s"
    )
    if summary.store:
        lines.append(summary.store)
    if summary.pruned_collections:
        lines.append(f"deleted {len(summary.pruned_collections)} Qdrant collections no kept version uses")
    for label, paths in (("added", summary.added), ("changed", summary.changed), ("removed", summary.removed)):
        if paths:
            lines.append(f"{label} ({len(paths)}): " + ", ".join(map(visible, paths[:10])) + (" ..." if len(paths) > 10 else ""))
    if summary.skipped:
        lines.append(f"skipped ({len(summary.skipped)}):")
        lines.extend(f"  {visible(s.path)}: {visible(s.reason)}" for s in summary.skipped)
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
