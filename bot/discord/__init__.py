"""The Discord front-end: the `commands.Bot` subclass (`app`), one cog per feature (`cogs/`), its settings
(`config`, `servers`), engines per server and worker threads, and Discord rendering. Imports only the
engine's public API (`index`)."""
