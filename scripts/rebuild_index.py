"""Rebuild the index after changing the documents: incremental, atomic, with progress and a summary.

    python scripts/rebuild_index.py [--corpus DIR] [--index DIR] [--full] [--quiet]

The command itself is `bot/terminal/rebuild.py`, so that an installed `quotebot rebuild` runs the same
code; this script keeps the name the README and outside tools call.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.terminal.rebuild import format_summary, main  # noqa: E402, F401 - format_summary: tests read it here

if __name__ == "__main__":
    raise SystemExit(main())
