"""`python -m bot`: start the Discord bot with DISCORD_TOKEN from `.env`.

The engine (model and index) loads and answers a warm-up question before connecting, so the first
question is as fast as the rest. Configuration problems end with a short message naming what to
change and exit status 1, never a traceback, and never the token.
"""

from __future__ import annotations

import asyncio
import logging
import sys

EXIT_CONFIG = 1


NOISY_LOGGERS = ("faiss", "faiss.loader")
"""Start-up lines that say nothing to the bot's operator (which CPU instructions faiss loaded)."""


def setup_logging(level: str) -> None:
    """discord.py's own logging set-up (coloured on a terminal) at `LOG_LEVEL`, the libraries' start-up
    chatter quieted, and no warning that voice is unsupported: this bot never speaks."""
    import discord

    discord.utils.setup_logging(level=getattr(logging, level), root=True)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    discord.VoiceClient.warn_nacl = False


def main() -> int:
    log = logging.getLogger("quotebot")

    from bot.discord.app import create_bot
    from bot.discord.config import discord_settings_from_env
    from bot.discord.engines import Engines
    from bot.discord.servers import read_server_map
    from index import (
        CorpusEmpty,
        CorpusError,
        Engine,
        IndexProblem,
        IndexReadOnly,
        ModelError,
        RebuildBusy,
        RedactingFilter,
        SettingError,
        redact,
        settings_from_env,
    )

    settings = None
    try:
        discord_settings = discord_settings_from_env()
        setup_logging(discord_settings.log_level)
        settings = settings_from_env()
        for handler in logging.getLogger().handlers:  # every log line, ours and the libraries'
            handler.addFilter(RedactingFilter(settings))
        log.info("loading the engine (corpus %s, index %s)", settings.corpus_dir, settings.index_dir)
        engine = Engine.open(settings, notify=log.info)
        server_map = read_server_map(discord_settings.servers_file)
        engines = Engines(engine, server_map, notify=log.info)
        for each in engines:
            each.warm_up()
    except (SettingError, IndexProblem, CorpusError, CorpusEmpty, ModelError, RebuildBusy, IndexReadOnly) as exc:
        message = redact(str(exc), settings) if settings is not None else str(exc)
        print(f"error: {message}", file=sys.stderr)  # each message names the setting or command to fix it
        return EXIT_CONFIG
    bot = create_bot(engine, discord_settings, engines=engines)
    return run(bot, discord_settings.token)


def run(bot, token: str) -> int:
    """Run until stopped; turn Discord's refusals into advice."""
    import discord

    async def runner() -> None:
        async with bot:
            await bot.start(token, reconnect=True)

    try:
        asyncio.run(runner())
    except discord.LoginFailure:
        print("error: Discord rejected DISCORD_TOKEN. Reset the token in the developer portal "
              "(your application > Bot > Reset Token) and put the new one in .env.", file=sys.stderr)
        return EXIT_CONFIG
    except discord.PrivilegedIntentsRequired:
        print("error: Discord refused the privileged Message Content intent, needed because "
              "DISCORD_LISTEN_CHANNELS or DISCORD_MESSAGE_CONTENT is set. Enable it in the developer portal "
              "(your application > Bot > Privileged Gateway Intents > Message Content), or empty "
              "DISCORD_LISTEN_CHANNELS and set DISCORD_MESSAGE_CONTENT=false to answer only mentions, direct "
              "messages and /ask.", file=sys.stderr)
        return EXIT_CONFIG
    except discord.ConnectionClosed as exc:  # a close Discord does not allow to resume (4004, 4010-4013)
        advice = CLOSE_ADVICE.get(exc.code or 0, "check the bot's settings and start it again")
        print(f"error: Discord closed the gateway connection (code {exc.code}): {advice}.", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as exc:  # no network, DNS failure, TLS problem: aiohttp's errors are OSErrors
        print(f"error: cannot reach Discord ({type(exc).__name__}: {exc}); check the network connection and "
              "start the bot again.", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        pass
    return 0


CLOSE_ADVICE = {
    4004: "the token was rejected; reset it in the developer portal (your application > Bot > Reset Token) and "
          "put the new one in DISCORD_TOKEN in .env",
    4013: "invalid gateway intents; this is a bug in the bot, please report it",
}


if __name__ == "__main__":
    raise SystemExit(main())
