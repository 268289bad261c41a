"""Child process of the tamper part: open an index the way the engine does, report what happened.

    python tests/campaign_parts/tamper_probe.py CORPUS_DIR INDEX_DIR

Prints one JSON object: {"outcome": "loaded", "stale": "..."} when the index opened (every checksum
verified) and `stale` says how the corpus differs from it; {"outcome": "refused", "kind", "message"}
for an IndexProblem; {"outcome": "crashed", ...} for anything else. A crash of the interpreter
itself (a signal) shows as no output and a negative exit status. `unpickled` lists every attempt to
unpickle (all are refused). Runs in its own process so that a loader that crashes or runs code cannot
take the campaign with it.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


UNPICKLED: list[str] = []


def _forbid_unpickling() -> None:
    """Record (and refuse) any attempt to unpickle while the index loads: the format has no pickle."""
    import pickle

    def refuse(*args: object, **kwargs: object) -> None:
        UNPICKLED.append("pickle.load" if args and hasattr(args[0], "read") else "pickle.loads")
        raise pickle.UnpicklingError("the campaign forbids unpickling while an index loads")

    pickle.load = pickle.loads = refuse  # type: ignore[assignment]


def main() -> None:
    _forbid_unpickling()
    from index.config import Settings
    from index.errors import IndexProblem
    from index.storage.builder import corpus_changes
    from index.storage.loaded import open_index

    settings = Settings(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]))
    try:
        index = open_index(settings)
        report = {"outcome": "loaded", "stale": corpus_changes(settings, index.manifest)}
    except IndexProblem as exc:
        report = {"outcome": "refused", "kind": type(exc).__name__, "message": str(exc)}
    except BaseException as exc:  # what this probe exists to catch
        report = {"outcome": "crashed", "kind": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc()}
    report["unpickled"] = UNPICKLED
    print(json.dumps(report))


if __name__ == "__main__":
    main()
