"""The terminal front-end: `python -m bot.cli` (`cli`), the `quotebot` command (`console`), rebuild
progress and terminal rendering. Imports only the engine's public API (`index`)."""
