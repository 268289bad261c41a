"""Reply latency through Discord: the real bot and engines against the test suite's fake Discord server.

    python scripts/bench_discord.py [--users 20] [--questions 100] [--queue-size 32]

Two servers, each with its own corpus (`DISCORD_SERVERS`): the default corpus, and the Black docs of
`tests/data/black-docs` (indexed under var/bench-discord/). Measured, from posting a message to the
bot's reply arriving at the fake server: ten questions one at a time; ten follow-ups ("why?", replying
to an answer, read in its context); then `--questions` questions from `--users` users at once, spread
over both servers, with the shipped worker and queue settings (2 workers, `--queue-size` 32): how many
were answered, told busy or to wait, and none; and late gateway heartbeats (more than 0.5 s late).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

TOKEN = "bench-token"
OTHER_CORPUS = ROOT / "tests" / "data" / "black-docs"
OTHER_QUESTIONS = ROOT / "tests" / "data" / "black_docs_questions.jsonl"


def _questions(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    return f"p50 {1000 * statistics.median(ordered):.0f} ms, p95 {1000 * ordered[int(0.95 * (len(ordered) - 1))]:.0f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Reply latency through the fake Discord server, two servers.")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--queue-size", type=int, default=32, help="DISCORD_QUEUE_SIZE (shipped: 32)")
    args = parser.parse_args(argv)
    print("$ python scripts/bench_discord.py " + " ".join(argv if argv is not None else sys.argv[1:]))

    from fake_discord import FakeDiscord, World, discord_pointed_at, running_bot

    from bot.discord.app import QuoteBot
    from bot.discord.config import DiscordSettings
    from bot.discord.engines import Engines
    from bot.discord.servers import read_server_map
    from index import Engine, settings_from_env

    engine = Engine.open(settings_from_env())
    engine.warm_up()
    world = World.default()
    other = world.add_guild("Black server", owner_id=world.user("owner").id)
    world.add_text_channel(other.id, "general")
    server_map = {"unlisted": "default", "servers": {str(other.id): {
        "corpus": str(OTHER_CORPUS), "index": str(ROOT / "var" / "bench-discord" / "black-index")}}}
    with tempfile.TemporaryDirectory() as scratch:
        map_file = Path(scratch) / "servers.json"
        map_file.write_text(json.dumps(server_map), encoding="utf-8")
        engines = Engines(engine, read_server_map(map_file))
    for each in engines:
        each.warm_up()
    asked = {world.guild.id: _questions(ROOT / "tests" / "data" / "dev_questions.jsonl"), other.id: _questions(OTHER_QUESTIONS)}
    kinds = {"answered": 0, "busy": 0, "wait": 0, "none": 0}

    with FakeDiscord(world, token=TOKEN, heartbeat_interval=1.0) as fake, discord_pointed_at(fake):
        settings = replace(DiscordSettings(token=TOKEN, guild_ids=tuple(world.guilds)), queue_size=args.queue_size)

        async def run() -> None:
            async with running_bot(QuoteBot(engine, settings, engines=engines, guild_ready_timeout=0.05), TOKEN) as bot:
                await measure(bot)

        async def measure(bot: QuoteBot) -> None:
            guilds = list(asked)
            users = [fake.add_user(f"bench{n}", guild_id=guilds[n % 2]).id for n in range(args.users)]
            calm = [fake.add_user(f"calm{n}", guild_id=world.guild.id).id for n in range(4)]

            async def one(user: int, guild: int, text: str, reply_to: int | None = None) -> tuple[float, dict | None]:
                channel = fake.world.guilds[guild].text_channels[0].id
                started = time.perf_counter()
                sent = fake.send_message(channel, user, f"<@{bot.user.id}> {text}", reply_to=reply_to)
                try:
                    reply = await fake.wait_for_reply(int(sent["id"]), timeout=300)
                except Exception:
                    return time.perf_counter() - started, None
                return time.perf_counter() - started, reply

            single, follow = [], []
            for k in range(10):
                seconds, reply = await one(calm[k % 4], world.guild.id, asked[world.guild.id][k])
                single.append(seconds)
                if reply is not None:
                    seconds, _ = await one(calm[k % 4], world.guild.id, "why?", reply_to=int(reply["id"]))
                    follow.append(seconds)
            print(f"one question at a time (10): {_percentiles(single)}")
            print(f"a follow-up replying to the answer, read in its context (10): {_percentiles(follow)}")
            started = time.perf_counter()
            results = await asyncio.gather(*(
                one(users[k % len(users)], guilds[(k % len(users)) % 2], asked[guilds[(k % len(users)) % 2]][k % 20])
                for k in range(args.questions)))
            seconds = time.perf_counter() - started
            for _, reply in results:
                content = (reply or {}).get("content", "")
                kinds["none" if reply is None else "busy" if "busy" in content else "wait" if "please wait" in content
                      else "answered"] += 1
            latencies = [s for s, r in results if r is not None]
            print(f"{args.questions} questions from {args.users} users across 2 servers at once "
                  f"(2 workers, queue {args.queue_size}), done in {seconds:.1f} s: {kinds['answered']} answered, "
                  f"{kinds['busy']} told busy, {kinds['wait']} told to wait, {kinds['none']} none; "
                  f"reply latency {_percentiles(latencies)}")

        asyncio.run(run())
        print(f"late gateway heartbeats (>0.5 s): {len(fake.late_heartbeats(tolerance=0.5))}")
    return 0 if kinds["none"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
