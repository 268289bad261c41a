"""Write scripts/training/suite.json from the sets in scripts/training/sets/, by the split SPLIT.md
declares: the last-named set of helpers tr1, tr3, tr5 and tr7 is dev, every other set is train; a set
that fails `check_set.py` or whose repository is a held-out set's source is left out (and said so).

    python scripts/training/build_suite.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from check_set import check  # noqa: E402

DEV_WRITERS = ("tr1", "tr3", "tr5", "tr7")


def repositories(source: Path) -> set[str]:
    """owner/name of every GitHub repository a SOURCE.md names."""
    text = source.read_text(encoding="utf-8") if source.is_file() else ""
    return {m.lower().removesuffix(".git") for m in re.findall(r"github\.com/([\w.-]+/[\w.-]+)", text)}


def main() -> int:
    held_file = ROOT / "tests" / "data" / "sets" / "HELD_SOURCES.txt"
    held = {line.strip().lower() for line in held_file.read_text().splitlines() if line.strip()} if held_file.is_file() else set()
    sets = sorted(p for p in (HERE / "sets").iterdir() if p.is_dir())
    dev = {max((s.name for s in sets if s.name.startswith(w + "-")), default=None) for w in DEV_WRITERS} - {None}
    entries = []
    for folder in sets:
        problems = check(folder, 0.0)
        if problems:
            print(f"left out {folder.name}: {len(problems)} problems, first: {problems[0]}")
            continue
        overlap = repositories(folder / "SOURCE.md") & held
        if overlap:
            print(f"left out {folder.name}: its repository {', '.join(sorted(overlap))} is a held-out set's source")
            continue
        rel = folder.relative_to(ROOT).as_posix()
        entries.append({"name": folder.name, "corpus": f"{rel}/corpus", "questions": f"{rel}/questions.jsonl",
                        "role": "dev" if folder.name in dev else "train"})
    suite = {"about": "Training sets for scripts/train_encoder.py and scripts/train_ranker.py --chat: chat-style "
                      "questions written for training over corpora no evaluation set uses (see each SOURCE.md and "
                      "SPLIT.md). Never used to report quality.", "sets": entries}
    (HERE / "suite.json").write_text(json.dumps(suite, indent=1) + "\n")
    questions = sum(len((ROOT / e["questions"]).read_text().splitlines()) for e in entries)
    print(f"{len(entries)} sets ({sum(e['role'] == 'dev' for e in entries)} dev), {questions} questions -> "
          f"{(HERE / 'suite.json').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
