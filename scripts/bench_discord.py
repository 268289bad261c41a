"""Reply latency through Discord: the real bot and engine against the test suite's fake Discord server.

    python scripts/bench_discord.py [--users 20] [--questions 100]

Every user mentions the bot with dev questions at once; the time from posting each message to the
bot's reply arriving at the fake server is measured, and late gateway heartbeats are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

TOKEN = "bench-token"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Reply latency through the fake Discord server.")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=100)
    args = parser.parse_args(argv)
    print("$ python scripts/bench_discord.py " + " ".join(argv if argv is not None else sys.argv[1:]))

    from fake_discord import FakeDiscord, discord_pointed_at, running_bot

    from bot.discord_app import QuoteBot
    from bot.discord_config import DiscordSettings
    from index import settings_from_env
    from index.engine import Engine

    engine = Engine.open(settings_from_env())
    engine.warm_up()
    lines = (ROOT / "tests" / "data" / "dev_questions.jsonl").read_text().splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]

    with FakeDiscord(token=TOKEN, heartbeat_interval=1.0) as fake, discord_pointed_at(fake):
        settings = DiscordSettings(token=TOKEN, guild_ids=(fake.world.guild.id,), cooldown_questions=10_000,
                                   queue_size=args.questions)

        async def run() -> list[float]:
            async with running_bot(QuoteBot(engine, settings, guild_ready_timeout=0.05), TOKEN) as bot:
                return await measure(bot)

        async def measure(bot: QuoteBot) -> list[float]:
            users = [fake.add_user(f"bench{n}").id for n in range(args.users)]

            async def one(k: int) -> float:
                started = time.perf_counter()
                sent = fake.send_message(fake.world.channel.id, users[k % len(users)],
                                         f"<@{bot.user.id}> {questions[k % len(questions)]}")
                await fake.wait_for_reply(int(sent["id"]), timeout=120)
                return time.perf_counter() - started

            single = [await one(k) for k in range(10)]
            burst_started = time.perf_counter()
            burst = await asyncio.gather(*(one(k) for k in range(args.questions)))
            burst_seconds = time.perf_counter() - burst_started
            print(f"one question at a time (10): p50 {1000 * statistics.median(single):.0f} ms, "
                  f"p95 {1000 * sorted(single)[int(0.95 * 9)]:.0f} ms")
            ordered = sorted(burst)
            print(f"{args.questions} questions from {args.users} users at once: all answered in {burst_seconds:.1f} s, "
                  f"reply latency p50 {1000 * statistics.median(burst):.0f} ms, p95 {1000 * ordered[int(0.95 * (len(ordered) - 1))]:.0f} ms")
            return burst

        asyncio.run(run())
        print(f"late gateway heartbeats (>0.5 s): {len(fake.late_heartbeats(tolerance=0.5))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
