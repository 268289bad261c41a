"""Part 5: many users asking at once through the fake Discord server while `/reindex` runs.

The bot runs with its shipped settings (2 engine workers, a queue of 32, 5 questions per user per 30 s),
so beyond what it can queue it must say it is busy rather than go silent. An admin starts `/reindex`
after a document was added, and every user's questions are posted at once. Required: every question
gets a reply (an answer, an abstention or "busy"), the gateway heartbeat never late, the rebuild
reported done, and the new document answered afterwards. Reply latency is the time from posting a
question to the bot's reply reaching the fake server.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

from bot.discord.cogs.ask import BUSY
from index.config import PROJECT_ROOT
from index.engine import Engine

from .context import CampaignContext, settings_for
from .corpora import SMALL_TOPICS, Fact, real_corpus_copy, small_corpus
from .discord_session import ask_by_mention, with_bot
from .results import PartResult, percentile

HEARTBEAT = 1.0
TOLERANCE = 0.5


ROUNDS = (("shipped settings: 2 workers, queue 32", {}), ("DISCORD_QUEUE_SIZE=100", {"queue_size": 100}))


def run(ctx: CampaignContext) -> PartResult:
    result = PartResult("load during /reindex")
    started = time.monotonic()
    folder = ctx.folder("load")
    corpus, _ = (real_corpus_copy if ctx.plan.real_corpus else small_corpus)(folder / "docs")
    settings = settings_for(corpus, folder / "index")
    ctx.say("load: building the index")
    engine = Engine.open(settings, encoder=ctx.encoder)
    questions = _questions(ctx.plan.real_corpus)
    for number, (label, changes) in enumerate(ROUNDS[: ctx.plan.load_rounds]):
        added = _add_document(corpus, number)
        ctx.say(f"load: {ctx.plan.load_questions} questions at once during /reindex, {label}")
        outcome = with_bot(engine, ctx.token, ctx.capture, lambda fake, bot: _storm(ctx, fake, bot, questions, added, result),
                           fake_options={"heartbeat_interval": HEARTBEAT}, **changes)
        _report(ctx, result, label, *outcome)
    result.seconds = time.monotonic() - started
    return result


def _report(ctx: CampaignContext, result: PartResult, label: str, replies, latencies, late, reindex_seconds, overlap) -> None:
    kinds = {"answered": 0, "busy": 0, "cooldown": 0, "none": 0, "other": 0}
    for reply in replies:
        kinds[_kind(reply)] += 1
    result.figure(f"{label}: replies to {len(replies)} questions from {ctx.plan.load_users} users",
                  f"{kinds['answered']} answered, {kinds['busy']} told busy, {kinds['cooldown']} told to wait, {kinds['none']} none")
    result.check(kinds["none"] == 0 and kinds["other"] == 0, f"{label}: {kinds['none']} questions got no reply, {kinds['other']} an unexpected one")
    answered = [lat for lat, reply in zip(latencies, replies) if _kind(reply) == "answered"]
    if answered:
        result.figure(f"{label}: answer latency p50 / p95",
                      f"{1000 * statistics.median(answered):.0f} / {1000 * percentile(answered, 0.95):.0f} ms "
                      f"(all replies {1000 * statistics.median(latencies):.0f} / {1000 * percentile(latencies, 0.95):.0f} ms)")
    result.figure(f"{label}: late heartbeats (> {HEARTBEAT * (1 + TOLERANCE):.1f} s apart)", len(late))
    result.check(not late, f"{label}: late heartbeats: {late[:3]}")
    result.figure(f"{label}: /reindex", f"done in {reindex_seconds:.1f} s; {overlap} replies sent while it ran")


def _add_document(corpus, number: int) -> Fact:
    """A new document with enough sentences that the rebuild takes a while, and a fact from it."""
    town = ("Marlow", "Kestwick", "Durnford")[number % 3]
    fact = Fact(f"How many lanterns did the lamplighter of {town} light on Tuesday?", f"lit {42 + number} lanterns", f"lamplighter-{number}.md")
    lines = [f"On day {n} the lamplighter of {town} walked {n + 3} streets and trimmed {n * 2} wicks." for n in range(80)]
    lines.insert(40, f"On Tuesday the lamplighter of {town} lit {42 + number} lanterns along the harbour wall.")
    (corpus / fact.doc).write_text("\n\n".join(" ".join(lines[k:k + 5]) for k in range(0, len(lines), 5)) + "\n", encoding="utf-8")
    return fact


def _questions(real: bool) -> list[str]:
    if real:
        lines = (PROJECT_ROOT / "tests" / "data" / "dev_questions.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["question"] for line in lines if line.strip()]
    return [f"What did the {role} do in {month}?" for role, _, _ in SMALL_TOPICS.values() for month in ("March", "July", "May")]


def _kind(reply: dict | None) -> str:
    if reply is None:
        return "none"
    content = reply.get("content", "")
    if content == BUSY:
        return "busy"
    if "please wait" in content:
        return "cooldown"
    if content.startswith(("> ", "**The documents don't say.**", "_")) and len(content) <= 2000:
        return "answered"
    return "other"


async def _storm(ctx: CampaignContext, fake, bot, questions: list[str], added: Fact, result: PartResult):
    users = [fake.add_user(f"user{n}").id for n in range(ctx.plan.load_users)]
    interaction = fake.invoke_slash_command("reindex", user_id=fake.world.user("admin").id)
    reindex_started = time.monotonic()
    await fake.wait_for_callback(interaction.id, timeout=10)
    count = ctx.plan.load_questions
    asks = [ask_by_mention(fake, bot, users[k % len(users)], f"<@{bot.user.id}> {questions[k % len(questions)]}", timeout=300)
            for k in range(count)]
    outcomes = await asyncio.gather(*asks)
    followup = await fake.wait_for_followup(interaction.id, timeout=900)
    result.check("Index rebuilt" in followup.get("content", ""), f"/reindex reported {followup.get('content', '')[:200]!r}")
    finished_at = _followup_time(fake, interaction.token) or time.monotonic()
    overlap = sum(1 for _, _, request, _ in outcomes if request is not None and request.time < finished_at)
    fresh = fake.add_user("after-reindex").id  # the others have used up their 5 questions per 30 s
    after = await ask_by_mention(fake, bot, fresh, f"<@{bot.user.id}> {added.question}", timeout=120)
    result.check(after[1] is not None and added.expected in after[1].get("content", ""),
                 f"after /reindex the new document was not answered: {(after[1] or {}).get('content', '')[:160]!r}")
    latencies = [o[3] for o in outcomes if o[1] is not None]
    return [o[1] for o in outcomes], latencies, fake.late_heartbeats(tolerance=TOLERANCE), finished_at - reindex_started, overlap


def _followup_time(fake, token: str) -> float | None:
    request = next((r for r in fake.requests("execute_webhook") if token in r.path), None)
    return request.time if request is not None else None
