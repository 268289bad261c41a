"""`python -m bot`: the Discord bot (`bot/discord/main.py`), started with DISCORD_TOKEN from `.env`."""

from bot.discord.main import main

if __name__ == "__main__":
    raise SystemExit(main())
