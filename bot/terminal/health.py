"""`quotebot health`: exit 0 only when the engine can answer from the published index.

    quotebot health [--corpus DIR] [--index DIR]

A container's health check (see Dockerfile) and a monitoring probe: it opens the published index
without rebuilding anything (a missing, corrupt or incompatible index fails; one older than the
documents answers, and is healthy with a note), answers one question with the model, and checks that
the passage it returns is a well-formed slice. One line on stdout when healthy, the reason on stderr
and exit status 1 when not.
"""

from __future__ import annotations

import argparse
import sys
import time

PROBE_QUESTION = "What do the documents say?"
"""Any question will do: the probe asks for the best passage even when the documents do not answer."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="quotebot health", description="Check that the engine can answer (exit 0) or say why not (exit 1).")
    parser.add_argument("--corpus", metavar="DIR", help="folder of documents (default CORPUS_DIR)")
    parser.add_argument("--index", metavar="DIR", help="index folder (default INDEX_DIR)")
    args = parser.parse_args(argv)

    from bot.terminal.render import visible
    from index import EngineError, Engine, redact, settings_from_env, with_paths

    settings = None
    try:
        settings = with_paths(settings_from_env(), args.corpus, args.index)
        # An index older than the documents still answers (the bot serves it until a rebuild), so it
        # is healthy; the line says so.
        engine = Engine.open(settings, auto_rebuild=False, allow_stale=True)
        started = time.perf_counter()
        answer = engine.answer(PROBE_QUESTION, k=1, abstain=False)
        elapsed_ms = (time.perf_counter() - started) * 1000
        documents = len(engine.sources())
    except (EngineError, OSError) as exc:
        message = redact(str(exc), settings) if settings is not None else str(exc)
        print(visible(f"unhealthy: {message}", keep="\n"), file=sys.stderr)
        return 1
    quotes = answer.quotes
    if not quotes:
        print(f"unhealthy: the index in {engine.index_directory} returned no passage; rebuild it (quotebot rebuild --full).",
              file=sys.stderr)
        return 1
    quote = quotes[0]
    if len(quote.text) != quote.end - quote.start or not quote.text.strip():
        print(f"unhealthy: the passage returned from {visible(quote.doc)} is not a slice of its document; "
              "rebuild the index (quotebot rebuild --full).", file=sys.stderr)
        return 1
    stale = "".join(f"; {redact(note, settings)}" for note in engine.notes)
    print(visible(f"healthy: {documents:,} documents, answered in {elapsed_ms:.0f} ms from {engine.index_directory}{stale}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
