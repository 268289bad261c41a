"""Measure answer quality: the dev questions, or SQuAD v1.1 as an open-retrieval benchmark.

    python scripts/evaluate.py tests/data/dev_questions.jsonl [--corpus DIR] [--index DIR]
    python scripts/evaluate.py --squad PATH/dev-v1.1.json [--sample 1000] [--seed 0]
    python scripts/evaluate.py --off-topic PATH/train-first44-v1.1.json [--sample 1500] [--corpus DIR]
    python scripts/evaluate.py --suite [tests/data/sets/suite.json] [--sets a,b] [--held] [--ablate]
    python scripts/evaluate.py --followups [tests/data/sets/followups/followups.jsonl] [--held] [--verbose]

Dev set: hit@1, hit@3, MRR (a hit is a quote of at most 800 characters covering at least half of a gold
evidence span), unanswerable questions abstained, answerable questions wrongly refused, share of
verbatim quotes, median quote length. SQuAD: every article is written as a document (paragraphs
separated by blank lines) and indexed under --work; the share of sampled questions whose top-1 and
top-5 quotes contain a gold answer is printed (retrieval with abstention off; refusals counted apart).
With --typos every question gets one typo in its longest word first (seeded), as people type.
Suite: every tune set of the suite file (with --held the held-out sets too; --sets picks by name), each
answered by the engine and by the two peers (naive 500-char dense chunks, BM25 over the same chunks)
in the same run; per set and macro-averaged. --ablate turns each named rule off in turn and prints
the macro change.
Follow-ups: two-turn conversations; each follow-up is answered after its first question (read in its
context, `index/answering/followup.py`) and alone; hit@1 and hit@3 of both per corpus. The tune split by
default; --held runs the held-out items (once, at the end).
Off-topic: SQuAD questions asked of the corpus (the default one, or --corpus), which is about something
else; the share abstained, and why, is printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure answer quality on dev questions or SQuAD.")
    parser.add_argument("questions", nargs="?", type=Path, help="dev questions, JSON lines")
    parser.add_argument("--squad", type=Path, metavar="PATH", help="SQuAD v1.1 JSON (e.g. dev-v1.1.json)")
    parser.add_argument("--off-topic", type=Path, metavar="PATH",
                        help="SQuAD v1.1 JSON whose questions the corpus cannot answer (e.g. train-first44-v1.1.json)")
    parser.add_argument("--suite", type=Path, nargs="?", const=Path("tests/data/sets/suite.json"), metavar="PATH",
                        help="run a suite of question sets beside the peers (default tests/data/sets/suite.json)")
    parser.add_argument("--sets", metavar="NAMES", help="with --suite: comma-separated set names to run")
    parser.add_argument("--followups", type=Path, nargs="?", const=Path("tests/data/sets/followups/followups.jsonl"),
                        metavar="PATH", help="follow-up questions: hit@1/hit@3 with the previous question carried and alone")
    parser.add_argument("--held", action="store_true", help="with --suite: include the held-out sets; with --followups: "
                        "the held-out items (run once, at the end)")
    parser.add_argument("--ablate", action="store_true", help="with --suite: macro change from turning each rule off")
    parser.add_argument("--no-peers", action="store_true", help="with --suite: the engine only")
    parser.add_argument("--sample", type=int, default=None,
                        help="questions to sample (default 1000 for --squad, 1500 for --off-topic)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="with --followups: print how each follow-up was read")
    parser.add_argument("--typos", action="store_true",
                        help="put one typo in each question's longest word (seeded by --seed)")
    parser.add_argument("--work", type=Path, default=None,
                        help="SQuAD corpus and index folder (default var/squad); with --suite, where each set's index is kept (default var/eval)")
    parser.add_argument("--corpus", metavar="DIR")
    parser.add_argument("--index", metavar="DIR")
    args = parser.parse_args(argv)
    if args.suite is not None:
        return run_suite(args, argv)
    if args.followups is not None:
        return run_follow_ups(args, argv)
    if sum(x is not None for x in (args.questions, args.squad, args.off_topic)) != 1:
        parser.error("give a questions file, --squad PATH or --off-topic PATH (one of them)")

    from bot.terminal.progress import TerminalProgress
    from index import Engine, settings_from_env, with_paths
    from index.evaluation import (
        corpus_texts,
        evaluate_dev,
        evaluate_off_topic,
        evaluate_squad,
        read_dev_questions,
        sample,
        squad_documents,
        with_typo,
        write_documents,
    )

    print("$ python scripts/evaluate.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    settings = with_paths(settings_from_env(), args.corpus, args.index)
    if args.squad:
        documents, questions = squad_documents(args.squad)
        work = args.work or Path("var/squad")
        write_documents(documents, work / "corpus")
        settings = dataclasses.replace(settings, corpus_dir=(work / "corpus").resolve(),
                                       index_dir=(work / "index").resolve())
    started = time.monotonic()
    engine = Engine.open(settings, progress=TerminalProgress(), notify=lambda m: print(m, file=sys.stderr))
    print(f"engine ready in {time.monotonic() - started:.1f} s (index {engine.index_directory})")

    timings: list[float] = []

    def typed(question: str) -> str:
        """The question as asked: with --typos, with one typo, the same on every pass."""
        return with_typo(question, random.Random(f"{args.seed}:{question}")) if args.typos else question

    def timed(answer):
        def run(question: str):
            question = typed(question)
            t = time.perf_counter()
            result = answer(question)
            timings.append(time.perf_counter() - t)
            return result
        return run

    if args.squad:
        chosen = sample(questions, args.sample or 1000, args.seed)
        report = evaluate_squad(chosen, timed(lambda q: engine.answer(q, k=5, abstain=False)))
        refused = sum(not engine.answer(typed(q.question), k=1).answered for q in chosen)
        lines = report.lines() + [f"would abstain (default)     {refused}/{len(chosen)}"]
    elif args.off_topic:
        _, squad_questions = squad_documents(args.off_topic)
        chosen = sample(squad_questions, args.sample or 1500, args.seed)
        lines = evaluate_off_topic([q.question for q in chosen], timed(lambda q: engine.answer(q, k=3))).lines()
    else:
        questions = read_dev_questions(args.questions)
        documents = corpus_texts(settings)
        report = evaluate_dev(questions, documents, timed(lambda q: engine.answer(q, k=3)))
        lines = report.lines()
        if report.missing_evidence:
            lines.append(f"evidence not found in corpus {' '.join(report.missing_evidence)}")
    print("\n".join(lines))
    timings.sort()
    print(f"query latency p50 {1000 * statistics.median(timings):.1f} ms, "
          f"p95 {1000 * timings[int(0.95 * (len(timings) - 1))]:.1f} ms over {len(timings)} questions")
    return 0


def run_suite(args: argparse.Namespace, argv: list[str] | None) -> int:
    from index import settings_from_env
    from index.config import BUNDLED_MODEL
    from index.dense.embedding import load_encoder
    from index.evaluation import (
        HEADER,
        SuiteError,
        corpus_texts,
        engine_answerer,
        evaluate_set,
        figures_line,
        format_row,
        macro,
        open_engine,
        peer_answerers,
        read_suite,
        select,
    )
    from index.rules import RULES

    print("$ python scripts/evaluate.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    root = Path(__file__).resolve().parent.parent
    try:
        sets = select(read_suite(args.suite, root), args.sets, ("tune", "held") if args.held else ("tune",))
    except SuiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = settings_from_env()
    encoder = load_encoder(settings)
    # The peers are what a user would build with an off-the-shelf model: the bundled all-MiniLM-L6-v2,
    # whatever model the engine runs.
    peer_encoder = None if args.no_peers else load_encoder(dataclasses.replace(settings, embed_model=BUNDLED_MODEL))
    work = args.work or Path("var/eval")
    results: dict[str, dict] = {}
    ablations: dict[str, dict] = {rule: {} for rule in RULES} if args.ablate else {}
    print(HEADER)
    for eval_set in sets:
        documents = corpus_texts(dataclasses.replace(settings, corpus_dir=eval_set.corpus))
        engine = open_engine(settings, eval_set, work, encoder)
        row = {"engine": evaluate_set(eval_set, documents, engine_answerer(engine))}
        if not args.no_peers:
            for name, answer in peer_answerers(documents, peer_encoder).items():
                row[name] = evaluate_set(eval_set, documents, answer)
        results[eval_set.name] = row
        for system, figures in row.items():
            print(format_row(eval_set.name + ("*" if eval_set.role == "held" else ""), system, figures), flush=True)
        print(f"{'':<14s} {'':<8s} engine: {figures_line(row['engine'])}", flush=True)
        for rule in ablations:
            with engine.rules_off({rule}):
                ablations[rule][eval_set.name] = evaluate_set(eval_set, documents, engine_answerer(engine))
    print("-" * len(HEADER))
    for system in results[next(iter(results))] if results else ():
        print(format_row("macro", system, macro(r[system] for r in results.values())))
    if any(s.role == "held" for s in sets):
        print("(* held-out set)")
    if ablations:
        base = macro(r["engine"] for r in results.values())
        print()
        print(f"{'rule turned off':<16s} {'d hit@1':>8s} {'d hit@3':>8s} {'d MRR':>8s} {'d abst':>8s} {'d refus':>8s}"
              "  sets where hit@1+hit@3 rose / fell")
        for rule, per_set in ablations.items():
            off = macro(per_set.values())
            moved = {name: (f.hit1 + f.hit3) - (results[name]["engine"].hit1 + results[name]["engine"].hit3)
                     for name, f in per_set.items()}
            rose = ",".join(n for n, d in moved.items() if d > 1e-9) or "-"
            fell = ",".join(n for n, d in moved.items() if d < -1e-9) or "-"
            print(f"{rule:<16s} " + " ".join(
                f"{off[m] - base[m]:+8.3f}" for m in ("hit1", "hit3", "mrr", "abstained", "refused")) + f"  {rose} / {fell}")
    return 0


def run_follow_ups(args: argparse.Namespace, argv: list[str] | None) -> int:
    """Each corpus's follow-ups (the tune split, or with --held the held-out one), answered in context
    and alone, per corpus and in all."""
    import json

    from index import settings_from_env
    from index.dense.embedding import load_encoder
    from index.evaluation import EvalSet, corpus_texts, evaluate_follow_ups, open_engine, read_follow_ups

    print("$ python scripts/evaluate.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    root = Path(__file__).resolve().parent.parent
    split = "held" if args.held else "tune"
    items = [i for i in read_follow_ups(args.followups) if i.split == split]
    corpora = json.loads((args.followups.parent / "corpora.json").read_text(encoding="utf-8"))
    settings = settings_from_env()
    encoder = load_encoder(settings)
    work = args.work or Path("var/eval")
    totals = {"n": 0, "carried": 0, "with1": 0, "with3": 0, "alone1": 0, "alone3": 0}
    print(f"{'corpus':<10s} {'items':>5s} {'read in context':>15s} {'with h@1':>9s} {'with h@3':>9s} {'alone h@1':>9s} {'alone h@3':>9s}")
    for corpus in sorted({i.corpus for i in items}):
        chosen = [i for i in items if i.corpus == corpus]
        eval_set = EvalSet(f"followups-{corpus}", (root / corpora[corpus]).resolve(), args.followups, split)
        documents = corpus_texts(dataclasses.replace(settings, corpus_dir=eval_set.corpus))
        engine = open_engine(settings, eval_set, work, encoder)
        report = evaluate_follow_ups(chosen, documents, lambda q, after: engine.answer(q, k=3, after=after))
        n = report.asked
        print(f"{corpus:<10s} {n:5d} {report.carried:15d} {report.hit1['with'] / n:9.3f} {report.hit3['with'] / n:9.3f} "
              f"{report.hit1['without'] / n:9.3f} {report.hit3['without'] / n:9.3f}", flush=True)
        if args.verbose:
            print("\n".join("    " + line for line in report.readings))
        for key, value in (("n", n), ("carried", report.carried), ("with1", report.hit1["with"]), ("with3", report.hit3["with"]),
                           ("alone1", report.hit1["without"]), ("alone3", report.hit3["without"])):
            totals[key] += value
    n = max(totals["n"], 1)
    print(f"{'all':<10s} {totals['n']:5d} {totals['carried']:15d} {totals['with1'] / n:9.3f} {totals['with3'] / n:9.3f} "
          f"{totals['alone1'] / n:9.3f} {totals['alone3'] / n:9.3f}  ({split} split)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
