"""`python -m bot.cli`: the terminal front-end (`bot/terminal/cli.py`), kept at this name because outside
tools and the README call it."""

from bot.terminal.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
