"""Part 1: hostile questions through the CLI and through the real discord.py client.

Every question goes through `python -m bot.cli --json -` and `python -m bot.cli -` (one process each,
all questions on standard input, encoded to bytes so lone surrogates arrive as invalid UTF-8), a few
as one-shot command-line arguments, every question as a mention of the bot and some through `/ask`.
After each hostile question the same user's channel gets a normal question, which must be answered.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

from index.answer import Answer
from index.engine import Engine

from .context import CampaignContext, settings_for
from .corpora import Fact, add_hostile_document, real_corpus_copy, small_corpus
from .discord_session import ask_by_mention, followup_request, question_of, with_bot
from .hostile_text import hostile_questions
from .reply_check import LIMIT, ping_problems, reply_problems
from .results import PartResult

HELP_REPLY = "Ask me a question about the documents"
CONCURRENT_ASKERS = 4


def run(ctx: CampaignContext) -> PartResult:
    result = PartResult("hostile questions")
    started = time.monotonic()
    folder = ctx.folder("questions")
    corpus, fact = (real_corpus_copy if ctx.plan.real_corpus else small_corpus)(folder / "corpus")
    add_hostile_document(corpus)
    settings = settings_for(corpus, folder / "index")
    ctx.say(f"questions: building the index of {corpus}")
    engine = Engine.open(settings, encoder=ctx.encoder)
    drawn = hostile_questions(ctx.plan.generated_questions, ctx.seed, ctx.plan.catalogue_per_category)
    questions = [q for _, q in drawn]
    generated_count = sum(1 for c, _ in drawn if c == "generated")
    tally = _Tally()
    ctx.say(f"questions: {len(questions)} hostile questions through the CLI")
    _cli_batches(ctx, settings, questions, tally, result)
    _cli_one_shots(ctx, settings, tally, result)
    ctx.say(f"questions: {len(questions)} hostile questions through Discord (mentions and /ask)")
    slash = ctx.rng("slash").sample(questions, min(ctx.plan.slash_questions, len(questions)))
    with_bot(engine, ctx.token, ctx.capture, lambda fake, bot: _discord(fake, bot, engine, fact, questions, slash, tally, result),
             cooldown_questions=100_000, queue_size=64)
    result.figure("hostile inputs", f"{len(questions)} distinct ({len(questions) - generated_count} written, "
                                    f"{generated_count} by hypothesis, seed {ctx.seed})")
    result.figure("inputs tried", f"{tally.tried} (CLI {tally.cli}, Discord mentions {tally.mentions}, /ask {tally.slash})")
    result.figure("crashes (no reply, traceback, bad exit)", tally.crashes)
    result.figure("pings (raw mention or allowed_mentions not empty)", tally.pings)
    result.figure("broken replies (over 2,000 chars or not rendering as the quotes)", tally.broken)
    result.figure("normal question answered right after each hostile one", f"{tally.normal_ok}/{tally.normal_asked}")
    result.seconds = time.monotonic() - started
    return result


class _Tally:
    def __init__(self) -> None:
        self.cli = self.mentions = self.slash = 0
        self.crashes = self.pings = self.broken = 0
        self.normal_asked = self.normal_ok = 0

    @property
    def tried(self) -> int:
        return self.cli + self.mentions + self.slash


# -- CLI ------------------------------------------------------------------------------------------
def _stdin_bytes(questions: list[str]) -> bytes:
    """One question per line, as a terminal or a pipe would deliver it: lone surrogates become the
    invalid UTF-8 bytes of their code point."""
    return ("\n".join(questions) + "\n").encode("utf-8", "surrogatepass")


def _expected_lines(data: bytes) -> list[str]:
    """The lines the CLI reads from `data`: invalid UTF-8 replaced, split at "\n" only (Python's
    standard input ends lines there; a "\r" stays in the question)."""
    lines = data.decode("utf-8", "replace").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _cli_batches(ctx: CampaignContext, settings, questions: list[str], tally: _Tally, result: PartResult) -> None:
    data = _stdin_bytes(questions)
    expected = _expected_lines(data)
    env = ctx.child_env(settings)
    json_run = ctx.run_child(["-m", "bot.cli", "--json", "--no-rebuild", "-"], source="cli-json", env=env, stdin=data)
    tally.cli += len(questions)
    records = _json_records(json_run, expected, settings.corpus_dir, tally, result)
    if not ctx.plan.cli_text_batch:
        return
    text_run = ctx.run_child(["-m", "bot.cli", "--no-rebuild", "-"], source="cli-text", env=env, stdin=data)
    tally.cli += len(questions)
    stdout = text_run.stdout.decode("utf-8", "replace")
    if text_run.returncode != 0 or b"Traceback" in text_run.stderr:
        tally.crashes += 1
        result.fail(f"CLI readable batch exited {text_run.returncode}: {text_run.stderr[-400:]!r}")
    elif records is not None:
        answered = sum(1 for r in records if r["answered"])
        shown = len(re.findall(r"^1\. ", stdout, re.MULTILINE))
        refused = stdout.count("The documents don't say.")
        if (shown, refused) != (answered, len(records) - answered):
            tally.broken += 1
            result.fail(f"CLI readable batch shows {shown} answers and {refused} refusals; JSON had {answered} and {len(records) - answered}")


def _json_records(run, expected: list[str], corpus: Path, tally: _Tally, result: PartResult) -> list[dict] | None:
    if run.returncode != 0 or b"Traceback" in run.stderr:
        tally.crashes += 1
        result.fail(f"CLI --json batch exited {run.returncode}: {run.stderr[-600:]!r}")
        return None
    lines = run.stdout.decode("utf-8").split("\n")[:-1]  # JSON lines end at "\n" (a quote may hold U+2028)
    if len(lines) != len(expected):
        tally.crashes += 1
        result.fail(f"CLI --json batch printed {len(lines)} lines for {len(expected)} questions")
        return None
    records = []
    for line, question in zip(lines, expected):
        try:
            record = json.loads(line)
        except ValueError:
            tally.broken += 1
            result.fail(f"CLI --json printed a line that is not JSON: {line[:120]!r}")
            continue
        problems = _record_problems(record, question, corpus)
        if problems:
            tally.broken += 1
            result.fail(f"CLI --json answer to {question[:60]!r}: {problems}")
        records.append(record)
    return records


def _record_problems(record: dict, question: str, corpus: Path) -> list[str]:
    problems = []
    echoed = record.get("question")
    squash = lambda text: "".join(text.replace("\x00", " ").split())  # noqa: E731 - the engine collapses whitespace, may cut
    if not isinstance(echoed, str) or not squash(question).startswith(squash(echoed)):
        problems.append(f"question echoed as {str(echoed)[:60]!r}")
    if not isinstance(record.get("answered"), bool) or not isinstance(record.get("quotes"), list):
        return problems + ["missing answered/quotes"]
    for quote in record["quotes"] + ([record["closest"]] if record.get("closest") else []):
        text = (corpus / quote["doc"]).read_text(encoding="utf-8")
        if text[quote["start"]:quote["end"]] != quote["text"]:
            problems.append(f"quote of {quote['doc']} is not document[start:end]")
    if record["answered"] != bool(record["quotes"]) or len(record["quotes"]) > 3:
        problems.append("answered flag and quotes disagree")
    return problems


ONE_SHOTS: list[tuple[list[bytes], set[int]]] = [
    ([b"--json", b"--", b"what did \xed\xa0\x80 Abrams \xff warn?"], {0}),
    ([b"--json", b"--", ("x" * 10_000).encode()], {0}),
    ([b"--json", b"--", b""], {2}),
    ([b"--", b"--help"], {0}),
    ([b"--json", b"--", "@everyone ``` <@&987654321098765432> \u202e\u200b".encode()], {0}),
    ([b"--json", b"--", b"   \t "], {2}),
]


def _cli_one_shots(ctx: CampaignContext, settings, tally: _Tally, result: PartResult) -> None:
    env = ctx.child_env(settings)
    for args, statuses in ONE_SHOTS[: ctx.plan.cli_one_shots]:
        run = ctx.run_child([b"-m", b"bot.cli", b"--no-rebuild", *args], source="cli-one-shot", env=env)
        tally.cli += 1
        ok = run.returncode in statuses and b"Traceback" not in run.stderr
        if ok and b"--json" in args and run.returncode == 0:
            try:
                json.loads(run.stdout)
            except ValueError:
                ok = False
        if not ok:
            tally.crashes += 1
            result.fail(f"CLI one-shot {args!r} exited {run.returncode}: {run.stderr[-400:]!r}")


# -- Discord --------------------------------------------------------------------------------------
async def _discord(fake, bot, engine: Engine, fact: Fact, questions: list[str], slash: list[str], tally: _Tally, result: PartResult) -> None:
    askers = [fake.add_user(f"asker{n}").id for n in range(CONCURRENT_ASKERS)]
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for item in enumerate(questions):
        queue.put_nowait(item)

    async def asker(user_id: int) -> None:
        while not queue.empty():
            number, question = queue.get_nowait()
            await _one_mention(fake, bot, engine, user_id, number, question, tally, result)
            await _normal_question(fake, bot, user_id, fact, question, tally, result)

    await asyncio.gather(*(asker(user) for user in askers))
    for question in slash:
        await _one_slash(fake, engine, askers[0], question, tally, result)
        await _normal_question(fake, bot, askers[0], fact, question, tally, result)


def _mention_form(number: int, bot_id: int, question: str) -> str:
    forms = (f"<@{bot_id}> {question}", f"{question} <@{bot_id}>", f"<@!{bot_id}>{question}")
    return forms[number % len(forms)]


async def _one_mention(fake, bot, engine: Engine, user_id: int, number: int, question: str, tally: _Tally, result: PartResult) -> None:
    content = _mention_form(number, bot.user.id, question)
    tally.mentions += 1
    sent, reply, request, _ = await ask_by_mention(fake, bot, user_id, content)
    if reply is None:
        tally.crashes += 1
        result.fail(f"no reply to the mention {content[:80]!r}")
        return
    asked = question_of(content, bot.user.id)
    answer = None if not asked else await _engine_answer(engine, asked, tally, result)
    if answer is not False:
        _judge(reply, request.json if request else None, answer, f"mention {content[:60]!r}", tally, result)


async def _one_slash(fake, engine: Engine, user_id: int, question: str, tally: _Tally, result: PartResult) -> None:
    tally.slash += 1
    interaction = fake.invoke_slash_command("ask", {"question": question}, user_id=user_id)
    try:
        followup = await fake.wait_for_followup(interaction.id, timeout=120)
    except TimeoutError:
        tally.crashes += 1
        result.fail(f"no followup to /ask {question[:80]!r}")
        return
    request = followup_request(fake, interaction.token)
    answer = await _engine_answer(engine, question, tally, result)
    if answer is not False:
        _judge(followup, request.json if request else None, answer, f"/ask {question[:60]!r}", tally, result)


async def _engine_answer(engine: Engine, question: str, tally: _Tally, result: PartResult) -> Answer | bool:
    """The engine's answer, to compare the reply with; False (and a crash counted) if it raises."""
    try:
        return await asyncio.to_thread(engine.answer, question)
    except Exception as exc:
        tally.crashes += 1
        result.fail(f"the engine raised {type(exc).__name__}: {exc} for {question[:60]!r}")
        return False


def _judge(reply: dict, body: dict | None, answer: Answer | None, what: str, tally: _Tally, result: PartResult) -> None:
    content = reply.get("content") or ""
    pings = ping_problems(content, body, reply)
    if body is None:
        pings.append("the reply's POST was not recorded")
    if pings:
        tally.pings += 1
        result.fail(f"{what}: {pings}")
    if answer is None:
        problems = [] if content.startswith(HELP_REPLY) and len(content) <= LIMIT else [f"unexpected reply to an empty question: {content[:80]!r}"]
    else:
        problems = reply_problems(content, answer)
    if problems:
        tally.broken += 1
        result.fail(f"{what}: {problems[:3]}")


async def _normal_question(fake, bot, user_id: int, fact: Fact, after: str, tally: _Tally, result: PartResult) -> None:
    tally.normal_asked += 1
    _, reply, _, _ = await ask_by_mention(fake, bot, user_id, f"<@{bot.user.id}> {fact.question}")
    if reply is not None and fact.expected in reply.get("content", ""):
        tally.normal_ok += 1
    else:
        result.fail(f"the normal question after {after[:60]!r} got {None if reply is None else reply.get('content', '')[:80]!r}")
