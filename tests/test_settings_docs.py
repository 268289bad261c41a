"""Every setting the code reads is listed in `.env.example` and explained in README or docs/discord.md,
and `.env.example` lists nothing the code ignores (a setting named in docs but never read is a trap)."""

from __future__ import annotations

import re

from index.config import PROJECT_ROOT

CONFIG_MODULES = ("index/config.py", "bot/discord/config.py")


def names_read_by_code() -> set[str]:
    text = "".join((PROJECT_ROOT / module).read_text(encoding="utf-8") for module in CONFIG_MODULES)
    return set(re.findall(r"""["']([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)["']""", text))


def names_in_env_example() -> set[str]:
    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.M))


def test_env_example_lists_exactly_the_settings_the_code_reads():
    read = names_read_by_code()
    assert {"CORPUS_DIR", "INDEX_DIR", "EMBED_MODEL", "DISCORD_TOKEN"} <= read  # the pattern still finds them
    listed = names_in_env_example()
    assert read - listed == set(), f"add to .env.example: {sorted(read - listed)}"
    assert listed - read == set(), f"in .env.example but never read: {sorted(listed - read)}"


def test_every_setting_is_explained_in_the_docs():
    docs = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8") + (PROJECT_ROOT / "docs" / "discord.md").read_text(encoding="utf-8")
    missing = sorted(name for name in names_read_by_code() if f"`{name}`" not in docs)
    assert missing == [], f"explain in README.md or docs/discord.md: {missing}"
