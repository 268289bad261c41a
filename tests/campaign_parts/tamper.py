"""Part 4: tampered index files.

A pristine index of a small corpus is copied for every case, then damaged: files truncated, emptied,
deleted or bit-flipped (seeded offsets), the manifest garbled or given wrong types, files swapped in
from the index of another corpus, a whole index of another corpus served, an index built by another
model, paths that escape the index folder (manifest entries, a symlink, CURRENT naming `../../etc`),
and `.npy` files holding a pickle whose unpickling would create a marker folder, FAISS files of
garbage or of another dimension. In the "forged" cases the manifest's checksums are rewritten to
match, as someone with write access could: checksums catch corruption, the loader itself must still
refuse to run code or crash.

Each case is opened in a child (tamper_probe.py). Required: refused with a message that names the
rebuild command (or, for a consistent index of other documents, refused as stale by the engine with
that command), never a crash or a signal, never the marker, and where it loads, the same answer as
the pristine index. Then the rebuild path: the command the message names must give back an index
that answers as the pristine one did. A few cases also go through the CLI (`--no-rebuild` must refuse
with the command, no traceback; without it the CLI must rebuild and answer).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from index.engine import Engine
from index.errors import IndexProblem, IndexStale
from index.storage.builder import rebuild
from index.storage.store import IndexFolder

from .context import CampaignContext, settings_for
from .corpora import Fact, other_corpus, small_corpus
from .results import PartResult

PROBE = Path(__file__).with_name("tamper_probe.py")
REBUILD_COMMAND = "rebuild_index.py"
FILES = ("units.npy", "cues.npy", "text.bin", "acronyms.json", "dense/sentences/vectors.faiss",
         "dense/paragraphs/vectors.faiss", "lexical/sentences/data.csc.index.npy", "lexical/windows/vocab.index.json",
         "lexical/documents/params.index.json", "manifest.json")
OTHER_MODEL_CASE = "built by another model (EMBED_MODEL folder)"
CLI_CASES = ("bit flip dense/sentences/vectors.faiss", "CURRENT names ../../etc", OTHER_MODEL_CASE)


@dataclass
class _World:
    """What the cases work with."""

    corpus: Path
    other_version: Path
    other_model_index: Path
    marker: Path
    rng_seed: str


Tamper = Callable[[Path, Path, _World], None]
"""(index folder, its served version folder, world) -> damage done in place."""


class _Payload:
    """Unpickling this creates a folder: proof that loading ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):  # noqa: ANN204
        return os.mkdir, (self.marker,)


def run(ctx: CampaignContext) -> PartResult:
    result = PartResult("tampered index files")
    started = time.monotonic()
    folder = ctx.folder("tamper")
    corpus, fact = small_corpus(folder / "docs")
    pristine = settings_for(corpus, folder / "pristine")
    ctx.say("tamper: building the pristine index and another corpus's index")
    rebuild(pristine, encoder=ctx.encoder)
    baseline = _answer(ctx, pristine, fact)
    other_docs, _ = other_corpus(folder / "other-docs")
    other = settings_for(other_docs, folder / "other")
    rebuild(other, encoder=ctx.encoder)
    cases = _cases()
    if ctx.plan.tamper_sample is not None:
        keep = set(ctx.rng("tamper-sample").sample(sorted(cases), ctx.plan.tamper_sample)) | set(CLI_CASES[: ctx.plan.cli_tamper_checks])
        cases = {name: tamper for name, tamper in cases.items() if name in keep}
    other_model = _other_model_index(ctx, folder, corpus) if OTHER_MODEL_CASE in cases else folder / "unused"
    world = _World(corpus, IndexFolder(other.index_dir).current(), other_model,  # type: ignore[arg-type]
                   folder / "marker-code-ran", f"{ctx.seed}")
    tally = {"detected": 0, "harmless": 0, "wrong": 0, "crashed": 0, "code": 0, "rebuilt": 0, "cli": 0}
    for number, (name, tamper) in enumerate(cases.items()):
        case = settings_for(corpus, folder / "cases" / f"{number:02d}")
        shutil.copytree(pristine.index_dir, case.index_dir, symlinks=True)
        tamper(case.index_dir, IndexFolder(case.index_dir).current(), world)  # type: ignore[arg-type]
        verdict = _judge(ctx, case, fact, baseline, world, name, result)
        tally[verdict] += 1
        if world.marker.exists():
            tally["code"] += 1
            result.fail(f"{name}: loading the index ran code (the pickle's marker exists)")
            world.marker.rmdir()
        if _rebuild_path(ctx, case, fact, baseline, name, result):
            tally["rebuilt"] += 1
        if name in CLI_CASES[: ctx.plan.cli_tamper_checks]:
            fresh = settings_for(corpus, folder / "cases" / f"{number:02d}-cli")
            shutil.copytree(pristine.index_dir, fresh.index_dir, symlinks=True)
            tamper(fresh.index_dir, IndexFolder(fresh.index_dir).current(), world)  # type: ignore[arg-type]
            tally["cli"] += _cli_path(ctx, fresh, fact, name, result)
        shutil.rmtree(case.index_dir, ignore_errors=True)
    total = len(cases)
    result.figure("tampered files detected (clear message naming the rebuild command)",
                  f"{tally['detected']}/{total}" + (f" (+{tally['harmless']} loaded and answered right)" if tally["harmless"] else ""))
    result.figure("wrong answers from a tampered index", tally["wrong"])
    result.figure("crashes (traceback or signal) while loading", tally["crashed"])
    result.figure("code executed by loading (pickle payload)", tally["code"])
    result.figure("rebuild command restores a correct index", f"{tally['rebuilt']}/{total}")
    cli = min(ctx.plan.cli_tamper_checks, len(CLI_CASES))
    if cli:
        result.figure("CLI: --no-rebuild refuses with the command; default rebuilds and answers", f"{tally['cli']}/{cli}")
    result.seconds = time.monotonic() - started
    return result


def _answer(ctx: CampaignContext, settings, fact: Fact) -> tuple[str, int, int, str] | None:
    answer = Engine.open(settings, auto_rebuild=False, encoder=ctx.encoder).answer(fact.question)
    return (answer.quotes[0].doc, answer.quotes[0].start, answer.quotes[0].end, answer.quotes[0].text) if answer.answered else None


def _other_model_index(ctx: CampaignContext, folder: Path, corpus: Path) -> Path:
    """An index of the same corpus built with EMBED_MODEL set to another model folder (a copy of the
    bundled model with its own configuration: nothing can be downloaded here)."""
    from index.dense.embedding import bundled_model_path, load_encoder

    model = folder / "other-model"
    shutil.copytree(bundled_model_path(), model, dirs_exist_ok=True)
    config = json.loads((model / "config.json").read_text())
    config["campaign_note"] = "a different model"
    (model / "config.json").write_text(json.dumps(config))
    # Its ONNX export goes into the work folder, not the user's CACHE_DIR (90 MB per campaign run).
    settings = settings_for(corpus, folder / "other-model-index", embed_model=str(model), cache_dir=folder / "other-model-cache")
    rebuild(settings, encoder=load_encoder(settings))
    return settings.index_dir


# -- judging --------------------------------------------------------------------------------------
def _judge(ctx: CampaignContext, case, fact: Fact, baseline, world: _World, name: str, result: PartResult) -> str:
    run = ctx.run_child([str(PROBE), str(case.corpus_dir), str(case.index_dir)], source=f"tamper {name}",
                        env=ctx.child_env(case, CAMPAIGN_MARKER=str(world.marker)))
    try:
        report = json.loads(run.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        result.fail(f"{name}: the loader died (exit {run.returncode}): {run.stderr[-400:]!r}")
        return "crashed"
    if report.get("unpickled"):
        result.fail(f"{name}: loading tried to unpickle ({report['unpickled']})")
        return "crashed"
    if report["outcome"] == "crashed":
        result.fail(f"{name}: {report['kind']} instead of a clear refusal: {report['traceback'][-600:]}")
        return "crashed"
    if report["outcome"] == "refused":
        if REBUILD_COMMAND in report["message"]:
            return "detected"
        result.fail(f"{name}: refused, but the message does not name the rebuild command: {report['message']!r}")
        return "crashed"
    try:  # it loaded: the engine must refuse it as stale, or answer exactly as the pristine index
        got = _answer(ctx, case, fact)
    except IndexStale as exc:
        if report["stale"] and REBUILD_COMMAND in str(exc):
            return "detected"
        result.fail(f"{name}: refused as stale without naming the rebuild command: {exc}")
        return "crashed"
    except IndexProblem as exc:
        result.fail(f"{name}: loaded in the probe but the engine refused it: {exc}")
        return "crashed"
    except Exception as exc:  # noqa: BLE001 - a crash while answering is what this part looks for
        result.fail(f"{name}: loaded undetected, then answering raised {type(exc).__name__}: {exc}")
        return "crashed"
    if got != baseline:
        result.fail(f"{name}: loaded undetected and answered {got!r:.160}, not {baseline!r:.160}")
        return "wrong"
    return "harmless"


def _rebuild_path(ctx: CampaignContext, case, fact: Fact, baseline, name: str, result: PartResult) -> bool:
    """Run what the message advises (`rebuild_index.py`, with --full if it says so), then answer."""
    try:
        rebuild(case, encoder=ctx.encoder)
        if _answer(ctx, case, fact) == baseline:
            return True
        rebuild(case, full=True, encoder=ctx.encoder)
        ok = _answer(ctx, case, fact) == baseline
        result.fail(f"{name}: `rebuild_index.py` left a wrong index{'; --full fixed it' if ok else ', and so did --full'}")
    except Exception as exc:  # noqa: BLE001
        result.fail(f"{name}: the rebuild path failed: {type(exc).__name__}: {exc}")
    return False


def _cli_path(ctx: CampaignContext, case, fact: Fact, name: str, result: PartResult) -> int:
    env = ctx.child_env(case)
    refused = ctx.run_child(["-m", "bot.cli", "--no-rebuild", "--json", fact.question], source=f"tamper-cli {name}", env=env)
    healed = ctx.run_child(["-m", "bot.cli", "--json", fact.question], source=f"tamper-cli {name}", env=env)
    problems = []
    if refused.returncode != 1 or REBUILD_COMMAND.encode() not in refused.stderr or b"Traceback" in refused.stderr:
        problems.append(f"--no-rebuild exited {refused.returncode}: {refused.stderr[-300:]!r}")
    try:
        record = json.loads(healed.stdout)
        if not (healed.returncode == 0 and record["answered"] and fact.expected in record["quotes"][0]["text"]):
            problems.append(f"after rebuilding, the CLI answered {record!r:.200}")
    except ValueError:
        problems.append(f"the rebuilding CLI exited {healed.returncode}: {healed.stderr[-300:]!r}")
    for problem in problems:
        result.fail(f"{name} (CLI): {problem}")
    return int(not problems)


# -- the cases ------------------------------------------------------------------------------------
def _cases() -> dict[str, Tamper]:
    cases: dict[str, Tamper] = {}
    for rel in FILES:
        cases[f"truncate {rel}"] = _on(rel, lambda p, w: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]))
        cases[f"bit flip {rel}"] = _on(rel, _flip_bit)
    cases.update({
        "empty text.bin": _on("text.bin", lambda p, w: p.write_bytes(b"")),
        "delete units.npy": _on("units.npy", lambda p, w: p.unlink()),
        "delete dense/": lambda i, v, w: shutil.rmtree(v / "dense"),
        "manifest not JSON": _on("manifest.json", lambda p, w: p.write_bytes(b"\x00\xffnot json{")),
        "manifest empty object": _manifest(lambda m: m.clear()),
        "manifest format_version 99": _manifest(lambda m: m.update(format_version=99)),
        "manifest lists no files": _manifest(lambda m: m.update(files={})),
        "manifest files is a list": _manifest(lambda m: m.update(files=list(m["files"]))),
        "manifest file entry is a string": _manifest(lambda m: m["files"].update({"units.npy": "0" * 64})),
        "manifest documents is a string": _manifest(lambda m: m.update(documents="harbour.md")),
        "manifest document entry lacks keys": _manifest(lambda m: m["documents"][0].pop("byte_end")),
        "manifest document offsets shifted": _manifest(lambda m: m["documents"][1].update(byte_start=m["documents"][1]["byte_start"] + 7)),
        "manifest documents' vector rows swapped": _manifest(_swap_rows),
        "manifest document unit count changed": _manifest(lambda m: m["documents"][0].update(units=m["documents"][0]["units"] - 1)),
        "manifest names another splitter": _manifest(lambda m: m["chunker"].update(version=99)),
        "model fingerprint changed": _manifest(lambda m: m["model"].update(fingerprint="0" * 16)),
        OTHER_MODEL_CASE: lambda i, v, w: _serve_copy(i, IndexFolder(w.other_model_index).current()),
        "whole index of another corpus served": lambda i, v, w: _serve_copy(i, w.other_version),
        "text.bin from another corpus": _on("text.bin", lambda p, w: shutil.copyfile(w.other_version / "text.bin", p)),
        "manifest from another corpus": _on("manifest.json", lambda p, w: shutil.copyfile(w.other_version / "manifest.json", p)),
        "forged: vectors.faiss from another corpus": _forged("dense/sentences/vectors.faiss",
                                                             lambda p, w: shutil.copyfile(w.other_version / "dense/sentences/vectors.faiss", p)),
        "forged: units.npy from another corpus": _forged("units.npy", lambda p, w: shutil.copyfile(w.other_version / "units.npy", p)),
        "garbage vectors.faiss": _on("dense/windows/vectors.faiss", _garbage),
        "forged: garbage vectors.faiss": _forged("dense/windows/vectors.faiss", _garbage),
        "forged: vectors.faiss of another dimension": _forged("dense/sentences/vectors.faiss", _other_dimension),
        "forged: pickle in units.npy": _forged("units.npy", _pickle),
        "forged: pickle in cues.npy": _forged("cues.npy", _pickle),
        "forged: pickle in lexical data.csc.index.npy": _forged("lexical/sentences/data.csc.index.npy", _pickle),
        "manifest names ../../../../etc/passwd": _manifest(lambda m: m["files"].update({"../../../../etc/passwd": {"size": 1, "sha256": "0"}})),
        "manifest names /etc/passwd": _manifest(lambda m: m["files"].update({"/etc/passwd": {"size": 1, "sha256": "0"}})),
        "forged: text.bin is a symlink to /etc/hostname": _forged("text.bin", _symlink_out),
        "CURRENT names ../../etc": _current("../../etc"),
        "CURRENT names v-../../etc": _current("v-../../etc"),
        "CURRENT names /etc": _current("/etc"),
        "CURRENT names a missing version": _current("v-20000101T000000-missing"),
        "CURRENT empty": _current(""),
        "CURRENT binary garbage": lambda i, v, w: (i / "CURRENT").write_bytes(b"\xff\xfe\x00v-\x80"),
        "CURRENT is a folder": lambda i, v, w: ((i / "CURRENT").unlink(), (i / "CURRENT").mkdir()),
        "CURRENT is a symlink to /etc/passwd": lambda i, v, w: ((i / "CURRENT").unlink(), (i / "CURRENT").symlink_to("/etc/passwd")),
    })
    return cases


def _on(rel: str, change: Callable[[Path, _World], object]) -> Tamper:
    return lambda index, version, world: change(version / rel, world)


def _flip_bit(path: Path, world: _World) -> None:
    data = bytearray(path.read_bytes())
    rng = __import__("random").Random(f"{world.rng_seed}:{path.name}")
    offset = rng.randrange(len(data))
    data[offset] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(data))


def _garbage(path: Path, world: _World) -> None:
    rng = __import__("random").Random(f"{world.rng_seed}:garbage")
    path.write_bytes(bytes(rng.randrange(256) for _ in range(path.stat().st_size)))


def _other_dimension(path: Path, world: _World) -> None:
    import faiss

    index = faiss.IndexFlatIP(768)
    count = faiss.read_index(str(path)).ntotal
    vectors = np.random.default_rng(0).standard_normal((count, 768)).astype(np.float32)
    index.add(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    faiss.write_index(index, str(path))


def _pickle(path: Path, world: _World) -> None:
    np.save(path, np.array([_Payload(world.marker)], dtype=object), allow_pickle=True)
    if path.suffix == ".npy" and not path.exists():
        raise RuntimeError(f"could not write the pickle to {path}")


def _symlink_out(path: Path, world: _World) -> None:
    path.unlink()
    path.symlink_to("/etc/hostname")


def _manifest(change: Callable[[dict], object]) -> Tamper:
    def tamper(index: Path, version: Path, world: _World) -> None:
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        change(manifest)
        (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    return tamper


def _forged(rel: str, change: Callable[[Path, _World], object]) -> Tamper:
    """Damage a file, then rewrite its size and checksum in the manifest to match."""
    def tamper(index: Path, version: Path, world: _World) -> None:
        path = version / rel
        change(path, world)
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        data = path.read_bytes()
        manifest["files"][rel] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    return tamper


def _swap_rows(manifest: dict) -> None:
    """Two documents exchange where their rows start: consistent totals, misplaced vectors."""
    first, second = manifest["documents"][0], manifest["documents"][1]
    first["first_unit"], second["first_unit"] = second["first_unit"], first["first_unit"]
    first["first_paragraph"], second["first_paragraph"] = second["first_paragraph"], first["first_paragraph"]


def _current(name: str) -> Tamper:
    return lambda index, version, world: (index / "CURRENT").write_text(name + "\n", encoding="utf-8")


def _serve_copy(index: Path, version: Path) -> None:
    """Copy another index's version folder in and point CURRENT at it."""
    shutil.copytree(version, index / version.name)
    (index / "CURRENT").write_text(version.name + "\n", encoding="utf-8")
