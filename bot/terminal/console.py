"""`quotebot`: one command for the four things people do, each the same program as before.

    quotebot ask [CLI options] [QUESTION...]     python -m bot.cli
    quotebot rebuild [--corpus DIR] [--index DIR] [--full] [--quiet]   scripts/rebuild_index.py (bot/terminal/rebuild.py)
    quotebot bot                                 python -m bot (DISCORD_TOKEN from .env)
    quotebot eval [evaluate.py options]          scripts/evaluate.py
    quotebot health [--corpus DIR] [--index DIR] exit 0 when the engine answers (a container's health check)

The scripts keep their own contracts; this only dispatches to them (installed by `make`, which runs
`pip install -e .`).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = {
    "ask": "answer questions (python -m bot.cli)",
    "rebuild": "rebuild the index after changing the documents (scripts/rebuild_index.py)",
    "bot": "run the Discord bot (python -m bot)",
    "eval": "measure answer quality (scripts/evaluate.py)",
    "health": "exit 0 when the engine can answer from the published index (a health check)",
}
SCRIPTS = {"eval": "evaluate.py"}
"""Commands that need the project checkout (its scripts/ folder); the others run wherever quotebot is installed."""


def usage() -> str:
    return "usage: quotebot COMMAND [options]\n\n" + "\n".join(f"  {name:8} {what}" for name, what in COMMANDS.items()) + (
        "\n\n`quotebot COMMAND --help` shows a command's options.")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "ask":
        from bot.terminal.cli import main as ask

        return ask(rest)
    if command == "rebuild":
        from bot.terminal.rebuild import main as rebuild

        return rebuild(rest)
    if command == "health":
        from bot.terminal.health import main as health

        return health(rest)
    if command == "bot":
        from bot.discord.main import main as run_bot

        return run_bot()
    if command in SCRIPTS:
        script = ROOT / "scripts" / SCRIPTS[command]
        if not script.is_file():
            print(f"quotebot {command} needs the project checkout ({script} is missing): install with `pip install -e .`.",
                  file=sys.stderr)
            return 1
        sys.argv = [str(script), *rest]
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exit_:
            return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        return 0
    print(f"quotebot: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
