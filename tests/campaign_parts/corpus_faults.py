"""Part 2: hostile files in the corpus folder, indexed by `scripts/rebuild_index.py` in a child.

Beside three good documents the folder holds: a Latin-1 file, UTF-16 and binary files, empty and
blank files, a 200 MB file, an unreadable file and an unreadable folder, a FIFO, a symlink loop, a
self-referencing and a dangling symlink, a file name that is not UTF-8, a document 1,500 folders
deep, thousands of one-sentence files, a file a thread keeps rewriting in place, and two files that
are deleted or rewritten after the rebuild listed them but before it reads them (when it opens the
first document, watched with inotify). Each bad file must be reported by name with the right reason,
every good document indexed, and the rebuild must finish; the next rebuild (the CLI's own, as it finds
the index stale) must hold the changed files as they ended.

We run as root here, and root reads any file whatever its mode; the child drops the capabilities
that let root ignore file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, from its bounding set
before exec), so a mode-000 file is really unreadable to it, as it would be to a normal user.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

from index.storage.loaded import open_index
from index.storage.store import IndexFolder, read_manifest

from .context import CampaignContext, settings_for
from .corpora import SMALL_FACT, small_corpus
from .open_trigger import OnFirstOpen
from .results import PartResult

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2
DEEP_FACT = ("What does the deep note say about the mine?", "lantern")
VERSIONS = ("The churning file first said the ferry left at dawn.\n",
            "The churning file now says the ferry leaves at noon, after the storm passed over the bay.\n")
FINAL = {
    "churning.txt": "The churning file finally says the ferry leaves at dusk.\n",
    "zz-vanishing.txt": "The vanishing file came back and says the bridge is open.\n",
    "zz-rewritten.txt": "The rewritten file finally says the toll is two pennies.\n",
}
TRIGGER = "0-first.txt"
"""Read first (paths are read in sorted order); opening it deletes and rewrites the zz- files."""


def run(ctx: CampaignContext) -> PartResult:
    result = PartResult("hostile corpus files")
    started = time.monotonic()
    folder = ctx.folder("corpus")
    corpus, _ = small_corpus(folder / "docs")
    settings = settings_for(corpus, folder / "index")
    deep_dir = None
    try:
        ctx.say("corpus: writing the hostile files")
        expected, good, deep_dir = _write_hostile_files(ctx, corpus)
        permissions_real = _permissions_enforced(ctx, corpus / "denied.txt")
        if not permissions_real:
            expected.pop("denied.txt")
            expected.pop("locked")
            result.notes.append("could not make a file unreadable to the rebuild (no capability drop): "
                                "the permission-denied files were not judged")
        ctx.say(f"corpus: rebuilding {len(good)} good and {len(expected)} bad files while a thread changes two of them")
        first = _rebuild_while_changing(ctx, settings, corpus)
        _judge_first(first, expected, good, settings, result)
        ctx.say("corpus: asking the CLI, which rebuilds the index first since two files changed")
        _judge_second(ctx, settings, result)
    finally:
        _make_readable(corpus)
        (corpus / "huge.txt").unlink(missing_ok=True)  # 200 MB: never left behind, even with --keep
        if deep_dir is not None:
            remove_deep(deep_dir)
    result.seconds = time.monotonic() - started
    return result


# -- writing the corpus ---------------------------------------------------------------------------
def _write_hostile_files(ctx: CampaignContext, corpus: Path) -> tuple[dict[str, str], set[str], Path]:
    """The hostile files and the reason each must be reported with (a regular expression); the good
    documents; the top of the deep folder chain."""
    plan = ctx.plan
    expected: dict[str, str] = {}

    def bad(name: str, data: bytes, reason: str) -> None:
        (corpus / name).write_bytes(data)
        expected[name] = reason

    bad("latin1.txt", "Caf\xe9 cr\xe8me br\xfbl\xe9e is served at the harbour.".encode("latin-1"), r"not valid UTF-8")
    bad("utf16.txt", "The orchard report in UTF-16.".encode("utf-16"), r"binary|not valid UTF-8")
    bad("binary.md", bytes(ctx.rng("binary").randrange(256) for _ in range(4096)) + b"\x00", r"binary|not valid UTF-8")
    bad("empty.txt", b"", r"empty")
    bad("blank.md", b"   \n\n\t\r\n", r"empty")
    bad("nowords.txt", b"... --- !!! ??? ***\n", r"no sentences")
    huge = corpus / "huge.txt"
    _write_huge(huge, plan.huge_file_mb, sparse=plan.huge_file_sparse)
    expected["huge.txt"] = r"larger than \d+ MB"
    bad("denied.txt", b"The denied file says the vault opens at six.\n", r"permission denied")
    os.chmod(corpus / "denied.txt", 0)
    locked = corpus / "locked"
    locked.mkdir()
    (locked / "inside.txt").write_text("The locked folder hides a note about the mill.\n", encoding="utf-8")
    os.chmod(locked, 0)
    expected["locked"] = r"permission denied"
    os.mkfifo(corpus / "fifo.txt")
    expected["fifo.txt"] = r"not a regular file"
    os.symlink(".", corpus / "loop")
    expected["loop"] = r"symlink loop|FOLLOW_LINKS"  # a link inside the corpus: skipped unless followed
    os.symlink("self.txt", corpus / "self.txt")
    expected["self.txt"] = r"symlink loop"
    os.symlink("nowhere/missing.txt", corpus / "dangling.txt")
    expected["dangling.txt"] = r"broken symlink|missing|disappeared"
    raw_name = os.fsencode(corpus) + b"/caf\xe9-latin1-name.txt"
    with open(raw_name, "wb") as handle:
        handle.write(b"A document whose file name is not UTF-8 talks about the quarry.\n")
    expected[os.fsdecode(b"caf\xe9-latin1-name.txt").encode("utf-8", "surrogateescape").decode("utf-8", "replace")] = r"name is not valid UTF-8"
    good = {"harbour.md", "orchard.md", "sub/railway.md"}
    deep_top = corpus / "deep"
    deep = deep_top
    deep.mkdir()
    for _ in range(plan.nested_depth - 1):
        deep = Path(os.path.join(deep, "d"))
        os.mkdir(deep)
    (deep / "deep-note.txt").write_text("The deep note says the mine has a lantern at every turn.\n", encoding="utf-8")
    good.add(deep.joinpath("deep-note.txt").relative_to(corpus).as_posix())
    tiny = corpus / "tiny"
    tiny.mkdir()
    for number in range(plan.tiny_files):
        name = f"note-{number:05d}.txt"
        (tiny / name).write_text(f"Tiny note {number} records that crate {number * 7 % 1000} was shipped.\n", encoding="utf-8")
        good.add(f"tiny/{name}")
    (corpus / TRIGGER).write_text("The first file says the market opens at seven.\n", encoding="utf-8")
    good.add(TRIGGER)
    (corpus / "churning.txt").write_text(VERSIONS[0], encoding="utf-8")
    (corpus / "zz-vanishing.txt").write_text("The vanishing file says the bridge is closed.\n", encoding="utf-8")
    expected["zz-vanishing.txt"] = r"disappeared"
    (corpus / "zz-rewritten.txt").write_text("The rewritten file first said the toll was one penny.\n", encoding="utf-8")
    return expected, good, deep_top


def _write_huge(path: Path, megabytes: int, sparse: bool) -> None:
    """A real file of text (the script) or a sparse one (quick tests): skipped by size either way."""
    with open(path, "wb") as handle:
        if sparse:
            handle.truncate(megabytes * 1024 * 1024)
            return
        block = ("The huge file repeats this sentence about the granary to fill two hundred megabytes. " * 12_000).encode()
        block = block[: 1024 * 1024]
        for _ in range(megabytes):
            handle.write(block)


def remove_deep(top: Path) -> None:
    """Delete a folder chain too deep for shutil.rmtree (which recurses once per level)."""
    chain = [top]
    while True:
        below = [chain[-1] / name for name in os.listdir(chain[-1])] if chain[-1].is_dir() else []
        folders = [p for p in below if p.is_dir() and not p.is_symlink()]
        for path in below:
            if path not in folders:
                path.unlink()
        if not folders:
            break
        chain.extend(folders[:1])
    for folder in reversed(chain):
        os.rmdir(folder)


def _make_readable(corpus: Path) -> None:
    for name in ("denied.txt", "locked"):
        if (corpus / name).exists():
            os.chmod(corpus / name, 0o755)


# -- running the rebuild as a process that obeys file permissions ---------------------------------
def drop_permission_override() -> None:
    """preexec_fn: a root child loses the capabilities to read files whatever their mode."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _permissions_enforced(ctx: CampaignContext, path: Path) -> bool:
    """Whether a child started like the rebuild is refused a mode-000 file."""
    try:
        probe = ctx.run_child(["-c", f"open({str(path)!r}).read()"], source="corpus-probe", preexec_fn=drop_permission_override)
    except (OSError, subprocess.SubprocessError):  # a failing preexec_fn is reported as SubprocessError
        return False
    return probe.returncode != 0 and b"PermissionError" in probe.stderr


def _rebuild_child(ctx: CampaignContext, settings, source: str):
    return ctx.run_child(
        ["scripts/rebuild_index.py", "--quiet", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)],
        source=source, env=ctx.child_env(settings), preexec_fn=drop_permission_override,
    )


def _rebuild_while_changing(ctx: CampaignContext, settings, corpus: Path):
    stop = threading.Event()
    rewritten = "The rewritten file now says the toll went up to three pennies after the flood.\n"

    def churn() -> None:
        churning = corpus / "churning.txt"
        turn = 0
        while not stop.is_set():
            with open(churning, "w", encoding="utf-8") as handle:  # in place: a reader may see it half written
                handle.write(VERSIONS[turn % 2])
            turn += 1
            time.sleep(0.003)

    def between_listing_and_reading() -> None:
        (corpus / "zz-vanishing.txt").unlink()
        (corpus / "zz-rewritten.txt").write_text(rewritten, encoding="utf-8")

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    try:
        with OnFirstOpen(corpus / TRIGGER, between_listing_and_reading) as trigger:
            run = _rebuild_child(ctx, settings, "corpus-first")
        if not trigger.fired.is_set():
            raise RuntimeError(f"the rebuild never opened {TRIGGER}")
        return run
    finally:
        stop.set()
        thread.join()
        for name, text in FINAL.items():
            (corpus / name).write_text(text, encoding="utf-8")


# -- judging ----------------------------------------------------------------------------------------
def reported_skips(stdout: bytes) -> dict[str, str]:
    """`  path: reason` lines under "skipped (N):" in the rebuild summary (no test path holds ": ")."""
    text = stdout.decode("utf-8", "replace")
    section = text.split("skipped (", 1)[1] if "skipped (" in text else ""
    return dict(line[2:].split(": ", 1) for line in section.splitlines()[1:] if line.startswith("  ") and ": " in line)


def _judge_first(run, expected: dict[str, str], good: set[str], settings, result: PartResult) -> None:
    finished = run.returncode == 0 and b"Traceback" not in run.stderr
    seconds = re.search(rb"[;,] ([\d.]+) s\n", run.stdout)
    result.figure("rebuild finished", f"yes, {seconds.group(1).decode() if seconds else '?'} s" if finished else f"NO (exit {run.returncode})")
    if not result.check(finished, f"the rebuild did not finish: exit {run.returncode}, {run.stderr[-800:]!r}"):
        return
    skipped = reported_skips(run.stdout)
    right = 0
    for name, pattern in expected.items():
        reason = skipped.get(name)
        if reason is not None and re.search(pattern, reason):
            right += 1
        else:
            result.fail(f"{name!r} reported as {reason!r}, expected a reason matching {pattern!r}")
    result.figure("bad files reported by name with the right reason", f"{right}/{len(expected)}")
    manifest = read_manifest(IndexFolder(settings.index_dir).current())
    indexed = {d.path for d in manifest.documents}
    missing = sorted(good - indexed)
    result.figure("good documents indexed", f"{len(good & indexed)}/{len(good)} (incl. one {len(Path(max(good, key=len)).parts) - 1} folders deep)")
    result.check(not missing, f"good documents not indexed: {missing[:5]}")
    moving = {p: (p in indexed, skipped.get(p)) for p in ("churning.txt", "zz-rewritten.txt", "zz-vanishing.txt")}
    result.figure("files rewritten or deleted while the rebuild ran", "; ".join(
        f"{p}: {'indexed' if i else 'skipped, ' + str(r)}" for p, (i, r) in moving.items()))
    for path, (was_indexed, reason) in moving.items():
        result.check(was_indexed or reason is not None, f"{path} was neither indexed nor reported")
    unnamed = [p for p, r in skipped.items() if not p or not r]
    result.check(not unnamed, f"skips without a name or reason: {unnamed}")


def _judge_second(ctx: CampaignContext, settings, result: PartResult) -> None:
    """The CLI (a process that obeys file permissions) finds the index stale, rebuilds it and answers."""
    questions = [(SMALL_FACT.question, SMALL_FACT.expected), DEEP_FACT]
    asked = ctx.run_child(["-m", "bot.cli", "--json", "-"], source="corpus-cli", env=ctx.child_env(settings),
                          stdin="".join(q + "\n" for q, _ in questions).encode(), preexec_fn=drop_permission_override)
    if not result.check(asked.returncode == 0 and b"Traceback" not in asked.stderr,
                        f"the CLI failed to rebuild and answer: {asked.stderr[-800:]!r}"):
        return
    index = open_index(settings)
    texts = {doc.path: bytes(index.text[doc.byte_start:doc.byte_end]).decode("utf-8")
             for doc in index.manifest.documents if doc.path in FINAL}
    up_to_date = texts == FINAL
    result.figure("next rebuild has the changed files as they ended", "yes" if up_to_date else "NO")
    result.check(up_to_date, f"after the changes stopped the index holds {texts!r}")
    records = [json.loads(line) for line in asked.stdout.decode().splitlines()]
    answered = 0
    for (question, expected), record in zip(questions, records):
        if record["answered"] and expected in record["quotes"][0]["text"]:
            answered += 1
        else:
            result.fail(f"{question!r} not answered from the good documents: {record['quotes'][:1]}")
    result.figure("questions answered from the good documents (CLI)", f"{answered}/{len(questions)}")
