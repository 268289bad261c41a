"""Check a training or evaluation question set before it is used: every evidence string an exact
substring of the named document, ids unique, the fields the loaders read present, enough unanswerable
questions. Prints one line per problem (file, id, what is wrong) and exits 1 when there is any.

    python scripts/training/check_set.py scripts/training/sets/NAME [--min-unanswerable 0.15]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REQUIRED = ("id", "question", "evidence", "doc", "kind")


def check(set_dir: Path, min_unanswerable: float) -> list[str]:
    """Return the problems found in SET_DIR (corpus/, questions.jsonl, SOURCE.md)."""
    problems: list[str] = []
    corpus = set_dir / "corpus"
    questions = set_dir / "questions.jsonl"
    if not corpus.is_dir():
        return [f"{corpus}: missing corpus folder"]
    if not questions.is_file():
        return [f"{questions}: missing"]
    if not (set_dir / "SOURCE.md").is_file():
        problems.append(f"{set_dir / 'SOURCE.md'}: missing (repository, commit, licence)")
    texts: dict[str, str] = {}
    for path in sorted(corpus.rglob("*")):
        if path.is_file():
            try:
                texts[path.relative_to(corpus).as_posix()] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                problems.append(f"{path}: not UTF-8 text")
    seen: set[str] = set()
    answerable = unanswerable = 0
    for number, line in enumerate(questions.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{questions}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"{where}: not JSON ({error})")
            continue
        missing = [key for key in REQUIRED if key not in item]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        if item["id"] in seen:
            problems.append(f"{where}: id {item['id']} used twice")
        seen.add(item["id"])
        if not str(item["question"]).strip():
            problems.append(f"{where}: empty question")
        if not item["evidence"]:
            unanswerable += 1
            if item["doc"] is not None:
                problems.append(f"{where}: unanswerable but doc is {item['doc']!r} (use null)")
            continue
        answerable += 1
        text = texts.get(item["doc"])
        if text is None:
            problems.append(f"{where}: doc {item['doc']!r} is not a file of {corpus}")
            continue
        for evidence in item["evidence"]:
            if len(evidence.strip()) < 15:
                problems.append(f"{where}: evidence too short: {evidence!r}")
            elif evidence not in text:
                problems.append(f"{where}: evidence not an exact substring of {item['doc']}: {evidence[:80]!r}")
    total = answerable + unanswerable
    if total == 0:
        problems.append(f"{questions}: no questions")
    elif unanswerable / total < min_unanswerable:
        problems.append(f"{questions}: {unanswerable}/{total} unanswerable, below {min_unanswerable:.0%}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path, help="set folders (corpus/, questions.jsonl, SOURCE.md)")
    parser.add_argument("--min-unanswerable", type=float, default=0.15)
    args = parser.parse_args()
    failed = False
    for set_dir in args.sets:
        problems = check(set_dir, args.min_unanswerable)
        for problem in problems:
            print(problem)
        failed = failed or bool(problems)
        if not problems:
            print(f"{set_dir}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
