"""Part 6: the token never shows, and `/reindex` obeys Manage Server even when Discord is bypassed.

Provocations first, so the search has something to find if anything leaks: the bot started with a
wrong token (REST refuses it), the gateway refusing the token (close 4004), `python -m bot` with a bad
setting and, in the full plan, with no route to Discord, and a `/reindex` that fails inside the bot
(logged with its traceback). Every log record (discord.py at DEBUG), every child's output, everything
printed in-process and every body the bot sent is captured for the whole campaign; the token, and the
wrong token (which contains it), must occur nowhere.

`/reindex` is then invoked as Discord would never send it: by a member without Manage Server (the
command's default permissions hide it from them, a crafted interaction does not care), by an admin
whose interaction claims no permissions, and in a DM. Each must be refused and the index left as it
is; the owner and an admin with the Manage Server role are accepted (the control).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import replace

from fake_discord import CloseCode, FakeDiscord, Permission, discord_pointed_at

from bot.discord.app import QuoteBot
from bot.discord.config import DiscordSettings
from bot.discord.main import run as run_bot
from index.engine import Engine
from index.storage.store import IndexFolder

from .context import CampaignContext, settings_for
from .corpora import small_corpus
from .discord_session import with_bot
from .results import PartResult

log = logging.getLogger("quotebot.campaign")
EPHEMERAL = 1 << 6


def run(ctx: CampaignContext) -> PartResult:
    result = PartResult("secrets and permissions")
    started = time.monotonic()
    folder = ctx.folder("secrets")
    corpus, _ = small_corpus(folder / "docs")
    settings = settings_for(corpus, folder / "index")
    engine = Engine.open(settings, encoder=ctx.encoder)
    ctx.say("secrets: provoking errors that could show the token")
    _provoke(ctx, engine, settings, result)
    ctx.say("secrets: /reindex from members without Manage Server, crafted interactions, a DM")
    (corpus / "late-addition.md").write_text("The late addition says the mill reopened in spring.\n", encoding="utf-8")
    refused, accepted = with_bot(engine, ctx.token, ctx.capture, lambda fake, bot: _reindex_permissions(fake, settings, result),
                                 guild_commands=False)
    result.figure("/reindex refused without Manage Server (incl. crafted and DM)", f"{refused[0]}/{refused[1]}")
    result.figure("/reindex accepted with Manage Server (owner, admin role)", f"{accepted[0]}/{accepted[1]}")
    texts, chars = ctx.capture.size
    leaks = ctx.capture.occurrences(ctx.token)
    kinds = ", ".join(f"{n:,} {kind}" for kind, n in ctx.capture.kinds().items())
    result.figure("token occurrences in everything captured", f"{sum(leaks.values())} in {texts:,} texts ({kinds}), "
                  f"{chars / 1e6:.2f} M characters" + (f"; found in {leaks}" if leaks else ""))
    result.check(not leaks, f"the token appears in captured output: {leaks}")
    credentials = {name: ctx.capture.occurrences(secret) for name, secret in
                   zip(("QDRANT_URL password", "QDRANT_URL api_key", "QDRANT_API_KEY"), getattr(ctx, "credentials", ()))}
    shown = {name: n for name, found in credentials.items() for n in [sum(found.values())] if n}
    result.figure("Qdrant credentials in everything captured (CLI, rebuild, /reindex reply, logs)",
                  f"{sum(shown.values())} of {len(credentials)} secrets" + (f"; found {shown}" if shown else ""))
    result.check(not shown, f"Qdrant credentials appear in captured output: {shown}")
    result.seconds = time.monotonic() - started
    return result


# -- provocations ---------------------------------------------------------------------------------
def _provoke(ctx: CampaignContext, engine: Engine, settings, result: PartResult) -> None:
    wrong = ctx.token + "-wrong"
    advice = []
    with ctx.capture.printed("wrong-token"), FakeDiscord(token=ctx.token) as fake, discord_pointed_at(fake):
        advice.append(run_bot(QuoteBot(engine, DiscordSettings(token=wrong), guild_ready_timeout=0.05), wrong))
    with ctx.capture.printed("gateway-4004"), FakeDiscord(token=ctx.token) as fake, discord_pointed_at(fake):
        fake.close_next_identify(CloseCode.AUTHENTICATION_FAILED)
        advice.append(run_bot(QuoteBot(engine, DiscordSettings(token=ctx.token), guild_ready_timeout=0.05), ctx.token))
    result.check(advice[0] == 1, f"a rejected token ended with status {advice[0]}, not 1 with advice")
    log.debug("settings as a log line would show them: %r", DiscordSettings(token=ctx.token))
    env = ctx.child_env(settings, DISCORD_TOKEN=ctx.token, DISCORD_GUILD_IDS="not-a-number")
    bad_setting = ctx.run_child(["-m", "bot"], source="bot-bad-setting", env=env)
    result.check(bad_setting.returncode == 1 and b"DISCORD_GUILD_IDS" in bad_setting.stderr and b"Traceback" not in bad_setting.stderr,
                 f"`python -m bot` with a bad setting: exit {bad_setting.returncode}, {bad_setting.stderr[-300:]!r}")
    if ctx.plan.name == "full":  # loads the model, then finds no route to discord.com
        offline = ctx.run_child(["-m", "bot"], source="bot-offline", env=ctx.child_env(settings, DISCORD_TOKEN=ctx.token), timeout=300)
        ctx.say(f"secrets: `python -m bot` without a route to Discord exited {offline.returncode}")
    _qdrant_credentials(ctx, settings, result)
    doomed, _ = small_corpus(ctx.folder("secrets/doomed-docs"))
    failing = Engine.open(settings_for(doomed, ctx.folder("secrets") / "doomed-index"), encoder=ctx.encoder)
    for document in [p for p in doomed.rglob("*") if p.is_file()]:
        document.unlink()  # nothing left to index: the bot's /reindex fails inside and logs it
    with_bot(failing, ctx.token, ctx.capture, lambda fake, bot: _failing_reindex(fake, result))


def _qdrant_credentials(ctx: CampaignContext, settings, result: PartResult) -> None:
    """Credentials inside QDRANT_URL and QDRANT_API_KEY, with no server there: the CLI, the rebuild
    script and a /reindex in the bot all fail, and must name QDRANT_URL without the credentials."""
    password, query_key, api_key = (f"{kind}-{secrets.token_urlsafe(12)}" for kind in ("pw", "qk", "ak"))
    ctx.credentials = (password, query_key, api_key)
    url = f"http://quotebot:{password}@127.0.0.1:9/?api_key={query_key}"
    qdrant = {"VECTOR_STORE": "qdrant", "QDRANT_URL": url, "QDRANT_API_KEY": api_key}
    for source, args in (("qdrant-cli", ["-m", "bot.cli", "--json", "what did the harbour master count?"]),
                         ("qdrant-rebuild", ["scripts/rebuild_index.py", "--index", str(ctx.folder("secrets") / "qdrant-index")])):
        run = ctx.run_child(args, source=source, env=ctx.child_env(settings, **qdrant), timeout=300)
        result.check(run.returncode == 1 and b"QDRANT_URL=http://***@127.0.0.1:9/?api_key=***" in run.stderr,
                     f"{source} with an unreachable Qdrant: exit {run.returncode}, {run.stderr[-400:]!r}")
    engine = Engine.open(settings, encoder=ctx.encoder)
    engine.settings = replace(settings, vector_store="qdrant", qdrant_url=url, qdrant_api_key=api_key)
    with_bot(engine, ctx.token, ctx.capture, lambda fake, bot: _failing_reindex(fake, result, "127.0.0.1"))


async def _failing_reindex(fake: FakeDiscord, result: PartResult, says: str = "previous index is still answering") -> None:
    interaction = fake.invoke_slash_command("reindex", user_id=fake.world.user("admin").id)
    followup = await fake.wait_for_followup(interaction.id, timeout=120)
    result.check("previous index is still answering" in followup.get("content", "") and says in followup.get("content", ""),
                 f"a failed /reindex replied {followup.get('content', '')[:200]!r}")


# -- /reindex permissions -------------------------------------------------------------------------
async def _reindex_permissions(fake: FakeDiscord, settings, result: PartResult) -> tuple[tuple[int, int], tuple[int, int]]:
    folder = IndexFolder(settings.index_dir)
    alice, admin, owner = (fake.world.user(name).id for name in ("alice", "admin", "owner"))
    stranger = fake.add_user("stranger").id
    attempts = [
        ("member without Manage Server", dict(user_id=alice)),
        ("admin whose crafted interaction claims no permissions", dict(user_id=admin, permissions=0)),
        ("member whose crafted interaction claims only Send Messages", dict(user_id=stranger, permissions=Permission.SEND_MESSAGES)),
        ("member in a DM", dict(user_id=alice, channel_id=fake.dm_channel_id(alice))),
    ]
    refused = 0
    for what, options in attempts:
        before = folder.current()
        interaction = fake.invoke_slash_command("reindex", **options)
        try:
            callback = await fake.wait_for_callback(interaction.id, timeout=10)
            content = callback.get("data", {}).get("content", "")
            told = "Manage Server" in content or "server" in content.lower()
            private = bool(callback.get("data", {}).get("flags", 0) & EPHEMERAL)
        except TimeoutError:
            content, told, private = "(no response)", False, False
        await asyncio.sleep(0.5)
        untouched = folder.current() == before and not fake.interaction(interaction.id).followups
        if untouched and told and private:
            refused += 1
        else:
            result.fail(f"/reindex by a {what}: index {'untouched' if untouched else 'REBUILT'}, reply {content[:120]!r}")
    accepted = 0
    for what, user in (("the server owner", owner), ("an admin with the Manage Server role", admin)):
        interaction = fake.invoke_slash_command("reindex", user_id=user)
        followup = await fake.wait_for_followup(interaction.id, timeout=300)
        if followup.get("content", "").startswith("Index "):
            accepted += 1
        else:
            result.fail(f"/reindex by {what} was not run: {followup.get('content', '')[:160]!r}")
    return (refused, len(attempts)), (accepted, 2)
