"""The command-line front-end: ask the documents a question from a terminal.

    python -m bot.cli "what did Abrams warn?"      readable answer
    python -m bot.cli --json "what did Abrams warn?" one JSON object
    python -m bot.cli --json - < questions.txt      one JSON object per input line
    python -m bot.cli                               interactive prompt (the model loads once)

Exit status: 0 answered or abstained, 2 for an empty question or bad options, 1 when the index or
model cannot be used (the message says which setting or command to fix), 130 when interrupted (Ctrl-C).
The prompt has line editing and history (readline); Ctrl-D or `:q` quits, an empty line does not.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import TextIO

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
QUIT_COMMANDS = (":q", ":quit")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.cli", description="Answer a question with verbatim quotes from the documents."
    )
    parser.add_argument("question", nargs="*", help='the question; "-" reads one question per line from stdin')
    parser.add_argument("--json", action="store_true", help="print one JSON object per question")
    parser.add_argument("--k", type=int, default=None, help="at most this many quotes (default TOP_K, 3)")
    parser.add_argument("--corpus", metavar="DIR", help="folder of documents (default CORPUS_DIR)")
    parser.add_argument("--index", metavar="DIR", help="index folder (default INDEX_DIR)")
    parser.add_argument(
        "--no-rebuild", action="store_true", help="fail instead of rebuilding a missing or stale index"
    )
    args = parser.parse_args(argv)
    if args.k is not None and not 1 <= args.k <= 20:
        parser.error("--k must be between 1 and 20")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run as a program: exit status as documented above, 130 on Ctrl-C at any moment."""
    try:
        code = _main(argv)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the answer is out: a late Ctrl-C changes nothing
        return code
    except KeyboardInterrupt:  # Ctrl-C while loading, rebuilding or answering: no traceback
        print(file=sys.stderr, flush=True)
        sys.stdout.flush()
        # Straight out: a native thread pool still starting (onnxruntime, faiss) can turn the
        # interpreter's shutdown into death by SIGINT, which the caller would read as a crash.
        os._exit(EXIT_INTERRUPTED)


def _main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Bytes that are not UTF-8 (a pasted Latin-1 name, a broken terminal) become U+FFFD, so they can
    # be answered and echoed in JSON instead of crashing the decoder or the JSON output.
    question = " ".join(_decoded(arg) for arg in args.question)
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")
    one_shot = bool(args.question) and question != "-"
    if one_shot and not question.strip():
        print("The question is empty: ask something, e.g. python -m bot.cli \"what did Abrams warn?\"", file=sys.stderr)
        return EXIT_USAGE

    from bot.terminal.progress import TerminalProgress
    from bot.terminal.render import visible
    from index import (
        Engine,
        IndexProblem,
        IndexReadOnly,
        RebuildBusy,
        SettingError,
        redact,
        settings_from_env,
        with_paths,
    )

    settings = None

    def shown(message: str) -> str:
        return visible(redact(message, settings) if settings is not None else message, keep="\n")

    try:
        settings = with_paths(settings_from_env(), args.corpus, args.index)
        progress = TerminalProgress()
        engine = Engine.open(
            settings, auto_rebuild=not args.no_rebuild, progress=progress,
            notify=lambda message: print(shown(message), file=sys.stderr, flush=True),
        )
        progress.close()
    except (SettingError, IndexProblem, RebuildBusy, IndexReadOnly) as exc:
        print(shown(str(exc)), file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # model and corpus errors carry their own advice
        print(shown(f"{type(exc).__name__}: {exc}"), file=sys.stderr)
        return EXIT_FAILURE

    if one_shot:
        emit(engine, question, args, sys.stdout)
        return EXIT_OK
    if question == "-":
        for line in sys.stdin:
            emit(engine, line.rstrip("\n"), args, sys.stdout, echo=not args.json)
        return EXIT_OK
    return interactive(engine, args)


def _decoded(arg: str) -> str:
    """A command-line argument with undecodable bytes (kept by Python as surrogates) replaced."""
    try:
        raw = arg.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that did not come from a byte (a caller's own string)
        raw = arg.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


def emit(engine, question: str, args: argparse.Namespace, out: TextIO, echo: bool = False, after: str | None = None) -> str:
    """Answer one question and return it as answered (a follow-up as read in the context of `after`);
    `echo` prints it above its readable answer (batch input read from a file)."""
    from bot.terminal.render import render_answer, visible

    answer = engine.answer(question, k=args.k, after=after)
    if args.json:
        out.write(json.dumps(answer.as_json(), ensure_ascii=False) + "\n")
    else:
        heading = f"? {visible(question)}\n" if echo else ""
        out.write(heading + render_answer(answer, ansi=out.isatty()) + "\n")
    out.flush()
    return answer.reading or question


def interactive(engine, args: argparse.Namespace) -> int:
    """A prompt with line editing and history (readline, where Python has it); an empty line asks
    nothing, Ctrl-C drops the line being typed, Ctrl-D or `:q` quits. A conversation: a follow-up
    ("why?", "what did he say about sanctions?") is read in the context of the question before it."""
    try:
        import readline  # noqa: F401 - importing it gives input() editing and history
    except ImportError:
        pass
    print("Ask a question about the documents (Ctrl-D or :q to quit).", file=sys.stderr)
    previous: str | None = None
    while True:
        try:
            question = input("? ")
        except EOFError:
            print(file=sys.stderr)
            return EXIT_OK
        except KeyboardInterrupt:
            print(file=sys.stderr)
            continue
        if question.strip() in QUIT_COMMANDS:
            return EXIT_OK
        if question.strip():
            previous = emit(engine, question, args, sys.stdout, after=previous)


if __name__ == "__main__":
    raise SystemExit(main())
