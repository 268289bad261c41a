"""Runs the chosen parts in order with every log record captured; a part that raises is reported
as a broken requirement (with its traceback) instead of ending the campaign."""

from __future__ import annotations

import importlib
import time
import traceback

from .context import CampaignContext
from .results import PartResult

MODULES = {
    "questions": "questions",
    "corpus": "corpus_faults",
    "links": "links",
    "documents": "documents",
    "stale": "stale",
    "touched": "touched",
    "index-dir": "index_dir",
    "kills": "kills",
    "tamper": "tamper",
    "load": "load",
    "secrets": "permissions",
}


def run_part(ctx: CampaignContext, name: str) -> PartResult:
    started = time.monotonic()
    ctx.say(f"part {name}: start")
    module = importlib.import_module(f"{__package__}.{MODULES[name]}")
    try:
        with ctx.capture.logs():
            result = module.run(ctx)
    except Exception:
        result = PartResult(name)
        result.fail(f"the campaign part itself failed:\n{traceback.format_exc()}")
    result.seconds = result.seconds or time.monotonic() - started
    ctx.say(f"part {name}: done in {result.seconds:.0f} s, {len(result.failures)} requirement(s) broken")
    return result


def run_parts(ctx: CampaignContext, names: list[str]) -> list[PartResult]:
    return [run_part(ctx, name) for name in names]
