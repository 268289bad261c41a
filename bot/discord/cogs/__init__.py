"""One cog per feature: asking (slash command and mentions), information (/sources, /help), admin (/reindex)."""
