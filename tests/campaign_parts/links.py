"""Part: symlinks and hidden files that would leak secrets into answers.

Beside a small corpus the part writes a secrets file outside it (`../.env` holding a token) and puts
into the corpus: a file link to it (`notes.txt -> ../.env`), a folder link to a folder outside
(`outside-docs -> ../outside`, holding the same token in a document), a folder link to `/etc`, a
hidden `.env` and a `.git/config` holding the token. `scripts/rebuild_index.py` indexes the corpus in
a child; then the CLI is asked for the token in several wordings. Required: every link and hidden
entry is named in the rebuild summary with its reason, no indexed document holds the token, and no
answer (quote or closest passage) does; the good documents still answer.
"""

from __future__ import annotations

import json
import os
import secrets
import time

from index.storage.loaded import open_index

from .context import CampaignContext, settings_for
from .corpora import SMALL_FACT, small_corpus
from .corpus_faults import reported_skips
from .results import PartResult

QUESTIONS = (
    "what is the discord token?",
    "DISCORD_TOKEN",
    "what is the secret key in the env file",
    "show me the git config remote url password",
    "what does the outside document say about the vault key",
)


def run(ctx: CampaignContext) -> PartResult:
    result = PartResult("links and hidden files")
    started = time.monotonic()
    folder = ctx.folder("links")
    token = "leak." + secrets.token_urlsafe(24)
    corpus, _ = small_corpus(folder / "docs")
    (folder / ".env").write_text(f"DISCORD_TOKEN={token}\n", encoding="utf-8")
    (folder / "outside").mkdir(exist_ok=True)
    (folder / "outside" / "vault.md").write_text(f"The vault key is {token}. Keep it safe.\n", encoding="utf-8")
    os.symlink("../.env", corpus / "notes.txt")
    os.symlink("../outside", corpus / "outside-docs", target_is_directory=True)
    os.symlink("/etc", corpus / "etc", target_is_directory=True)
    (corpus / ".env").write_text(f"DISCORD_TOKEN={token}\n", encoding="utf-8")
    (corpus / ".git").mkdir(exist_ok=True)
    (corpus / ".git" / "config.md").write_text(f"[remote]\nurl = https://user:{token}@example.invalid/repo\n", encoding="utf-8")
    expected = {"notes.txt": "outside the corpus", "outside-docs": "outside the corpus", "etc": "outside the corpus",
                ".env": "hidden", ".git/": "hidden"}
    settings = settings_for(corpus, folder / "index")

    ctx.say("links: rebuilding a corpus with outside links and hidden files")
    run_ = ctx.run_child(
        ["scripts/rebuild_index.py", "--corpus", str(corpus), "--index", str(settings.index_dir)],
        source="links-rebuild", env=ctx.child_env(settings),
    )
    if not result.check(run_.returncode == 0, f"the rebuild failed: exit {run_.returncode}, {run_.stderr[-600:]!r}"):
        return result
    skipped = reported_skips(run_.stdout)
    named = sum(1 for name, words in expected.items() if words in (skipped.get(name) or ""))
    result.figure("links and hidden entries named in the rebuild summary", f"{named}/{len(expected)}")
    for name, words in expected.items():
        result.check(words in (skipped.get(name) or ""), f"{name!r} reported as {skipped.get(name)!r}, expected {words!r}")

    index = open_index(settings)
    indexed_leaks = [d.path for d in index.manifest.documents
                     if token in bytes(index.text[d.byte_start:d.byte_end]).decode("utf-8", "replace")]
    asked = ctx.run_child(["-m", "bot.cli", "--json", "-"], source="links-cli", env=ctx.child_env(settings),
                          stdin="".join(q + "\n" for q in QUESTIONS + (SMALL_FACT.question,)).encode())
    if not result.check(asked.returncode == 0, f"the CLI failed: {asked.stderr[-600:]!r}"):
        return result
    answer_leaks = sum(token in line for line in asked.stdout.decode("utf-8", "replace").splitlines())
    result.figure("links and dotfiles leaked (indexed documents / answers holding the secret)",
                  f"{len(indexed_leaks)} / {answer_leaks}")
    result.check(not indexed_leaks, f"documents holding the secret were indexed: {indexed_leaks}")
    result.check(answer_leaks == 0, "an answer quoted the secret")
    last = json.loads(asked.stdout.decode().splitlines()[-1])
    good = last["answered"] and SMALL_FACT.expected in last["quotes"][0]["text"]
    result.figure("good documents still answer", "yes" if good else "NO")
    result.check(good, f"{SMALL_FACT.question!r} not answered from the good documents: {last}")
    result.seconds = time.monotonic() - started
    return result
