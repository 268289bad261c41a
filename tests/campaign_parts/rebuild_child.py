"""Child process of the kill part: `scripts/rebuild_index.py`, with its last steps announced.

Prints `writing: ...` and `swap: ...` lines on standard error just before each step after the lexical
index (checksums, manifest, syncing the new folder, renaming it, replacing CURRENT, pruning old
versions). With CAMPAIGN_SWAP_PAUSE=<seconds> it waits that long at each swap step, so the parent can
kill it between any two of them. Nothing else changes: the steps themselves are the project's code.

    python tests/campaign_parts/rebuild_child.py [rebuild_index.py options]
"""

from __future__ import annotations

import os
import runpy
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import index.storage.builder as builder  # noqa: E402
import index.storage.store as store  # noqa: E402

PAUSE = float(os.environ.get("CAMPAIGN_SWAP_PAUSE", "0") or 0)


def announced(label: Callable[..., str], step: Callable[..., Any], pause: float) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        print(label(*args, **kwargs), file=sys.stderr, flush=True)
        if pause:
            time.sleep(pause)
        return step(*args, **kwargs)

    return wrapper


def main() -> None:
    builder.record_files = announced(lambda *a, **k: "writing: checksums", builder.record_files, 0)
    builder.write_atomic = announced(lambda path, data: f"writing: {Path(path).name}", builder.write_atomic, 0)
    store.fsync_dir = announced(
        lambda path: "swap: syncing the new folder" if Path(path).name.startswith("tmp-") else "swap: folder renamed",
        store.fsync_dir, PAUSE,
    )
    store.write_atomic = announced(lambda path, data: "swap: replacing CURRENT", store.write_atomic, PAUSE)
    prune = store.IndexFolder._prune
    store.IndexFolder._prune = announced(lambda self, keep: "swap: pruning old versions", prune, PAUSE)  # type: ignore[method-assign]
    sys.argv = [str(ROOT / "scripts" / "rebuild_index.py"), *sys.argv[1:]]
    runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
