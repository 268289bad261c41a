"""Part: a long-running batch session while the index is rebuilt elsewhere, three times.

A `python -m bot.cli --json -` session keeps answering while `scripts/rebuild_index.py`, in another
process, rebuilds the index after each change to the documents (every round puts a new opening
paragraph in front of each document, so every offset moves, and changes the figures). Every answer
names the index version it was cut from (`"index"`); the part knows which round of the documents each
version was built from, and checks every quote against that round's text. Required: no quote differs
from the document version it was indexed from, no error, and after the last rebuild the session
quotes the newest text. Then `/reindex`'s path (`Engine.rebuild`) in a process that missed a rebuild
must serve the newest version, not call the stale one "up to date".
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from index.config import PROJECT_ROOT
from index.storage.store import IndexFolder

from .context import CampaignContext, settings_for
from .corpora import SMALL_TOPICS, write_topics
from .results import PartResult

ROUNDS = 3
QUESTIONS = (
    "How many ships at anchor did the harbour master count in March?",
    "What did the orchard keeper pick in June?",
    "Which round of the survey is this?",
    "How many tickets to the coast did the station clerk sell in May?",
)


def _write_round(corpus: Path, round_: int) -> dict[str, str]:
    """The documents of one round: the small corpus with an opening paragraph naming the round."""
    write_topics(corpus, SMALL_TOPICS)
    texts = {}
    for name in SMALL_TOPICS:
        path = corpus / name
        opening = "".join(f"This is survey round {round_}, entry {k}. " for k in range(round_ * 3 + 1))
        text = opening + "\n\n" + path.read_text(encoding="utf-8").replace("nineteen", f"{19 + round_}")
        path.write_text(text, encoding="utf-8")
        texts[name] = text
    return texts


def run(ctx: CampaignContext) -> PartResult:
    result = PartResult("stale index")
    started = time.monotonic()
    folder = ctx.folder("stale")
    corpus = folder / "docs"
    corpus.mkdir(parents=True, exist_ok=True)
    settings = settings_for(corpus, folder / "index")
    env = ctx.child_env(settings)
    rounds = {0: _write_round(corpus, 0)}
    first = ctx.run_child(["scripts/rebuild_index.py"], source="stale-rebuild-0", env=env)
    if not result.check(first.returncode == 0, f"the first rebuild failed: {first.stderr[-600:]!r}"):
        return result
    version_round = {IndexFolder(settings.index_dir).current().name: 0}

    session = subprocess.Popen([sys.executable, "-m", "bot.cli", "--json", "-", "--no-rebuild"], cwd=PROJECT_ROOT,
                               env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    answers: list[dict] = []
    errors: list[str] = []
    lock = threading.Lock()

    def ask(question: str) -> dict | None:
        with lock:
            session.stdin.write((question + "\n").encode())
            session.stdin.flush()
            line = session.stdout.readline()
        try:
            answer = json.loads(line)
        except ValueError:
            errors.append(f"not an answer: {line[-300:]!r}")
            return None
        answers.append(answer)
        return answer

    stop = threading.Event()

    def keep_asking() -> None:
        turn = 0
        while not stop.is_set() and session.poll() is None:
            ask(QUESTIONS[turn % len(QUESTIONS)])
            turn += 1

    asker = threading.Thread(target=keep_asking, daemon=True)
    try:
        ask(QUESTIONS[0])
        asker.start()
        for round_ in range(1, ROUNDS + 1):
            ctx.say(f"stale: round {round_}: changing the documents and rebuilding in another process")
            rounds[round_] = _write_round(corpus, round_)
            run_ = ctx.run_child(["scripts/rebuild_index.py"], source=f"stale-rebuild-{round_}", env=env)
            if not result.check(run_.returncode == 0, f"rebuild {round_} failed: {run_.stderr[-600:]!r}"):
                return result
            version_round[IndexFolder(settings.index_dir).current().name] = round_
            time.sleep(0.5)  # questions meanwhile
        stop.set()
        asker.join(timeout=120)
        during = len(answers)
        last = [ask(q) for q in QUESTIONS]
    finally:
        stop.set()
        session.stdin.close()
        session.wait(timeout=120)
        ctx.capture.add("child:stale-session:stderr", session.stderr.read())

    stale = 0
    for answer in answers:
        round_ = version_round.get(answer.get("index", ""))
        if round_ is None:
            errors.append(f"answer from an unknown index version {answer.get('index')!r}")
            continue
        for quote in answer["quotes"] + ([answer["closest"]] if "closest" in answer else []):
            if rounds[round_][quote["doc"]][quote["start"]:quote["end"]] != quote["text"]:
                stale += 1
                result.fail(f"quote not verbatim against round {round_} of {quote['doc']}: {quote['text'][:120]!r}")
    newest = sum(1 for a in last if a and version_round.get(a.get("index", "")) == ROUNDS)
    quotes_newest = all(f"round {ROUNDS}" in a["quotes"][0]["text"] for a in last[2:3] if a and a["quotes"])
    result.figure(f"answers while the index was rebuilt {ROUNDS} times in another process", f"{during} (from {len(set(a.get('index') for a in answers))} versions)")
    result.figure("stale quotes (not verbatim against the version they were cut from) / errors", f"{stale} / {len(errors)}")
    result.figure("answers after the last rebuild from the newest version", f"{newest}/{len(QUESTIONS)}")
    result.check(not errors, f"errors in the batch session: {errors[:5]}")
    result.check(newest == len(QUESTIONS), "after the last rebuild the session still answered from an older version")
    result.check(quotes_newest, "after the last rebuild the session did not quote the newest text")
    result.check(session.returncode == 0, f"the batch session ended with exit {session.returncode}")
    _reindex_after_outside_rebuild(ctx, settings, corpus, result)
    result.seconds = time.monotonic() - started
    return result


def _reindex_after_outside_rebuild(ctx: CampaignContext, settings, corpus: Path, result: PartResult) -> None:
    """What `/reindex` runs, in an engine opened before an outside rebuild."""
    from index.engine import Engine
    from index.storage.builder import rebuild

    engine = Engine.open(settings, auto_rebuild=False, encoder=ctx.encoder)
    _write_round(corpus, ROUNDS + 1)
    rebuild(settings, encoder=ctx.encoder)
    summary = engine.rebuild()
    newest = IndexFolder(settings.index_dir).current()
    ok = engine.index_directory == str(newest)
    result.figure("/reindex after an outside rebuild serves the newest version",
                  f"{'yes' if ok else 'NO'} (said {'up to date' if summary.up_to_date else 'rebuilt'})")
    result.check(ok, f"after an outside rebuild, Engine.rebuild kept serving {engine.index_directory}, not {newest}")
